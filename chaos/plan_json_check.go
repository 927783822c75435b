package chaos

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/faultline-go/faultline/internal/lex"
)

// This file holds the strict pre-pass of the JSON plan readers: what
// encoding/json accepts silently, and a plan should not.

// jsonShape says what a JSON value in a plan document is, for the checks
// of checkPlanJSON.
type jsonShape uint8

const (
	shapeOther   jsonShape = iota // not part of the plan's shape: left to the decoder
	shapePlan                     // the plan object
	shapeRules                    // the rules array
	shapeRule                     // a rule object
	shapeFault                    // a fault object
	shapeLabels                   // a rule's labels object
	shapeChoices                  // a rule's choices array
	shapeChoice                   // a choice object
)

// maxJSONDepth bounds how deep checkPlanJSON follows nested arrays and
// objects. A valid plan nests five deep
// ({"rules":[{"choices":[{"fault":{}}]}]}).
const maxJSONDepth = 16

// checkPlanJSON reads the JSON document b for what encoding/json accepts
// silently: duplicate keys, keys of a plan, rule or fault that differ only
// in case (the decoder matches names without regard to case), null where a
// number belongs, nesting deeper than maxJSONDepth, and more than
// MaxPlanRules rules. It returns a *PlanError listing them, or nil. A
// document that is not valid JSON is left to the decoder to report. Its
// time is linear in len(b), and it allocates only for the keys it keeps
// and the problems it reports.
func checkPlanJSON(b []byte) error {
	if !json.Valid(b) {
		return nil
	}
	c := jsonChecker{b: b}
	c.value(shapePlan, false)
	if err := c.probs.err(ErrInvalidPlan); err != nil {
		return err
	}
	return nil
}

// jsonChecker scans a valid JSON document.
type jsonChecker struct {
	b     []byte
	i     int // the next byte to read
	probs problemList
	stop  bool        // a problem ends the scan
	at    []jsonPlace // where the value being read is, outermost first
}

// jsonPlace is one step of the path to a value: an object member or an
// array element.
type jsonPlace struct {
	key     []byte // the key of an object member, or nil
	index   int    // the index of an array element
	bracket bool   // write the key as ["key"]
}

// path returns the path of the place at depth n, such as "rules[2].times",
// for a Problem.
func (c *jsonChecker) path(n int) string {
	var b strings.Builder
	for _, p := range c.at[:n] {
		key := string(p.key)
		switch {
		case p.key == nil:
			b.WriteString("[" + strconv.Itoa(p.index) + "]")
		case p.bracket || !plainKey(key):
			b.WriteString("[" + lex.Excerpt(key, excerptLen) + "]")
		case b.Len() > 0:
			b.WriteString("." + key)
		default:
			b.WriteString(key)
		}
	}
	return b.String()
}

// plainKey reports whether key may be written bare in a path: short, and
// only letters, digits, '_' and '-'.
func plainKey(key string) bool {
	return key != "" && len(key) <= excerptLen && !strings.ContainsFunc(key, func(r rune) bool {
		return !(r == '_' || r == '-' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z')
	})
}

// add notes a problem at the place at depth n, building its path only if
// it is kept.
func (c *jsonChecker) add(n int, msg func() string) {
	if c.probs.full() {
		c.probs.more++
		return
	}
	c.probs.add(Problem{Path: c.path(n), Message: msg()})
}

// space skips white space.
func (c *jsonChecker) space() {
	for c.i < len(c.b) {
		switch c.b[c.i] {
		case ' ', '\t', '\n', '\r':
			c.i++
		default:
			return
		}
	}
}

// value reads the value at c.i, whose place is the last of c.at. number
// says the plan wants a number there.
func (c *jsonChecker) value(shape jsonShape, number bool) {
	depth := len(c.at)
	c.space()
	switch c.b[c.i] {
	case '{', '[':
		if depth == maxJSONDepth {
			c.add(depth, func() string { return fmt.Sprintf("json: nested more than %d deep", maxJSONDepth) })
			c.stop = true
			return
		}
		if c.b[c.i] == '{' {
			c.object(shape)
		} else {
			c.array(shape)
		}
	case '"':
		c.str()
	default: // a number, true, false or null
		start := c.i
		for c.i < len(c.b) && !strings.ContainsRune(",}] \t\n\r", rune(c.b[c.i])) {
			c.i++
		}
		if number && string(c.b[start:c.i]) == "null" {
			c.add(depth, func() string { return "null is not a number" })
		}
	}
}

// array reads an array, at its '['.
func (c *jsonChecker) array(shape jsonShape) {
	c.i++ // [
	for n := 0; !c.stop; n++ {
		c.space()
		if c.b[c.i] == ']' {
			break
		}
		elem := shapeOther
		if shape == shapeChoices {
			elem = shapeChoice
		}
		if shape == shapeRules {
			if n == MaxPlanRules {
				c.probs.addFirst(tooManyRules(-1))
				c.stop = true
				return
			}
			elem = shapeRule
		}
		c.at = append(c.at, jsonPlace{index: n})
		c.value(elem, false)
		c.at = c.at[:len(c.at)-1]
		c.space()
		if c.b[c.i] == ',' {
			c.i++
		}
	}
	c.i++ // ]
}

// object reads an object, at its '{'.
func (c *jsonChecker) object(shape jsonShape) {
	depth := len(c.at)
	checked := shape != shapeOther
	var seen map[string]bool     // every key
	var folded map[string]string // the first key of each case-folded spelling
	if checked {
		seen = make(map[string]bool)
		if shape != shapeLabels { // label keys are case-sensitive
			folded = make(map[string]string)
		}
	}
	var fold []byte
	c.i++ // {
	for !c.stop {
		c.space()
		if c.b[c.i] == '}' {
			break
		}
		key := c.str()
		c.at = append(c.at, jsonPlace{key: key, bracket: shape == shapeLabels})
		if checked {
			if seen[string(key)] {
				c.add(depth+1, func() string { return "duplicate key" })
			} else {
				seen[string(key)] = true
			}
		}
		if folded != nil {
			fold = foldKey(fold[:0], key)
			switch first, ok := folded[string(fold)]; {
			case !ok:
				folded[string(fold)] = string(key)
			case first != string(key):
				c.add(depth, func() string {
					return fmt.Sprintf("keys %s and %s differ only in case",
						lex.Excerpt(first, excerptLen), lex.Excerpt(string(key), excerptLen))
				})
			}
		}
		c.space()
		c.i++ // :
		c.value(fieldShape(shape, key))
		c.at = c.at[:len(c.at)-1]
		c.space()
		if c.b[c.i] == ',' {
			c.i++
		}
	}
	c.i++ // }
}

// str reads a string, at its opening quote, and returns its value, which
// may share memory with the document.
func (c *jsonChecker) str() []byte {
	start := c.i
	c.i++
	plain := true
	for c.b[c.i] != '"' {
		if c.b[c.i] == '\\' {
			plain = false
			c.i++
		} else if c.b[c.i] >= utf8.RuneSelf {
			plain = false
		}
		c.i++
	}
	c.i++
	raw := c.b[start:c.i]
	if plain {
		return raw[1 : len(raw)-1 : len(raw)-1]
	}
	var s string // escapes, or bytes the decoder may replace: decode as it does
	_ = json.Unmarshal(raw, &s)
	return []byte(s)
}

// foldKey appends key folded as encoding/json matches names: without
// regard to case.
func foldKey(dst []byte, key []byte) []byte {
	for i := 0; i < len(key); i++ {
		if key[i] >= utf8.RuneSelf {
			return append(dst, strings.ToLower(strings.ToUpper(string(key)))...)
		}
	}
	for i := 0; i < len(key); i++ {
		b := key[i]
		if 'A' <= b && b <= 'Z' {
			b += 'a' - 'A'
		}
		dst = append(dst, b)
	}
	return dst
}

// fieldShape returns the shape of the value under key in an object of
// shape s, and whether the plan wants a number there. Keys match without
// regard to case, as encoding/json matches them.
func fieldShape(s jsonShape, key []byte) (jsonShape, bool) {
	is := func(name string) bool { return bytes.EqualFold(key, []byte(name)) }
	switch s {
	case shapePlan:
		if is("rules") {
			return shapeRules, false
		}
	case shapeRule:
		switch {
		case is("fault"):
			return shapeFault, false
		case is("labels"):
			return shapeLabels, false
		case is("choices"):
			return shapeChoices, false
		}
		return shapeOther, is("rate") || is("times") || is("after") || is("every") || is("instances")
	case shapeChoice:
		if is("fault") {
			return shapeFault, false
		}
		return shapeOther, is("weight")
	case shapeFault:
		return shapeOther, is("code") || is("shape")
	}
	return shapeOther, false
}
