package chaos

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/faultline-go/faultline/faults"
	"github.com/faultline-go/faultline/internal/lex"
)

// pointSpecial lists the bytes a bare point may not hold.
const pointSpecial = "=;[],%\"' \t"

// pointQuote lists the bytes that make String quote a point: those a bare
// point may not hold, and brackets, which a bare point may hold only in
// balanced pairs.
const pointQuote = pointSpecial + "(){}"

// optSpecial lists the bytes that force an option value into quotes:
// separators, and brackets, which would unbalance the plan when unpaired.
const optSpecial = "=;[](){},"

// parsePlanText reads a plan in the text form described at [ParsePlan],
// and validates it. s is at most MaxPlanSize bytes.
func parsePlanText(s string) (Plan, error) {
	var p Plan
	var probs problemList
	for i, start := 0, 0; start <= len(s); i++ {
		// Paths count the rules as written, so that a problem after an
		// empty rule still points at its own rule.
		at := fmt.Sprintf("rules[%d]", i)
		n, err := lex.Index(s[start:], ';')
		if err != nil {
			var se *lex.SyntaxError
			if errors.As(err, &se) {
				off := start + se.Offset
				err = fmt.Errorf("%s at byte %d, near %s", se.Msg, off, lex.Excerpt(s[off:], nearLen))
			}
			probs.add(Problem{Path: at, Message: err.Error()})
			break
		}
		last := n < 0
		if last {
			n = len(s) - start
		}
		part := strings.TrimSpace(s[start : start+n])
		start += n + 1
		if part == "" && last {
			break // a trailing ';', or a blank plan
		}
		if i == MaxPlanRules {
			probs.addFirst(tooManyRules(-1))
			break
		}
		if part == "" {
			probs.add(Problem{Path: at, Message: "empty rule"})
			continue
		}
		r, err := parseRule(part)
		if err != nil {
			probs.add(Problem{Path: at, Message: err.Error()})
		} else {
			probs.add(r.problems(i)...)
		}
		if probs.len() == 0 {
			p.Rules = append(p.Rules, r)
		}
	}
	if err := probs.err(ErrInvalidPlan); err != nil {
		return Plan{}, err
	}
	return p, nil
}

// nearLen is how much text an error about a quote or a bracket quotes from
// where the problem is.
const nearLen = 24

// parseRule reads one rule of the text form:
// point=[percent%][count*]fault[[options]].
func parseRule(s string) (Rule, error) {
	var r Rule
	point, rest, err := cutPoint(s)
	if err != nil {
		return r, err
	}
	r.Point = point
	if r.Rate, r.Times, rest, err = cutRateTimes(rest); err != nil {
		return r, err
	}
	faultText, opts, err := cutOptions(rest)
	if err != nil {
		return r, err
	}
	if r.Fault, r.Choices, err = parseFaults(faultText); err != nil {
		return r, err
	}
	return r, parseOptions(&r, opts)
}

// parseFaults reads a rule's fault, or its choices: "f@w|g|…".
func parseFaults(s string) (faults.Fault, []Choice, error) {
	parts, err := lex.Split(s, '|')
	if err != nil || len(parts) == 1 {
		if at, _ := lex.Index(s, '@'); err == nil && at >= 0 {
			return faults.Fault{}, nil, errors.New("one choice; write its fault without a weight, or add choices with |")
		}
		// A fault alone, or unbalanced: the fault parser says what is
		// wrong in the fault's own terms.
		f, err := faults.ParseFault(s)
		return f, nil, err
	}
	if len(parts) > MaxChoices {
		return faults.Fault{}, nil, fmt.Errorf("%d choices exceed the limit of %d", len(parts), MaxChoices)
	}
	choices := make([]Choice, len(parts))
	var msgs []string
	for j, part := range parts {
		c, err := parseChoice(part)
		if err != nil {
			msgs = append(msgs, fmt.Sprintf("choice %d: %v", j+1, err))
		}
		choices[j] = c
	}
	if msgs != nil {
		return faults.Fault{}, nil, errors.New(strings.Join(msgs, ", "))
	}
	return faults.Fault{}, choices, nil
}

// parseChoice reads one choice, "fault" or "fault@weight".
func parseChoice(s string) (Choice, error) {
	var c Choice
	text, weight, found, err := lex.Cut(s, '@')
	if err == nil && found {
		w := strings.TrimSpace(weight)
		if c.Weight, err = strconv.Atoi(w); err != nil || !isDigits(strings.TrimPrefix(w, "-")) {
			return c, fmt.Errorf("weight %s is not an integer", lex.Excerpt(w, excerptLen))
		}
		s = text
	}
	c.Fault, err = faults.ParseFault(s)
	return c, err
}

// cutPoint reads a rule's point, bare or quoted, and the '=' after it, and
// returns the point and the text after the '='.
func cutPoint(s string) (point, rest string, err error) {
	if strings.HasPrefix(s, `"`) {
		q, err := strconv.QuotedPrefix(s)
		if err != nil {
			return "", "", errors.New("unterminated quoted point")
		}
		point, _ = strconv.Unquote(q)
		rest = strings.TrimSpace(s[len(q):])
		if !strings.HasPrefix(rest, "=") {
			return "", "", fmt.Errorf("want = after the point %s", lex.Excerpt(point, excerptLen))
		}
		return point, strings.TrimSpace(rest[1:]), nil
	}
	point, rest, ok := strings.Cut(s, "=")
	if !ok {
		return "", "", fmt.Errorf("%s has no =, as in point=error", lex.Excerpt(s, excerptLen))
	}
	point = strings.TrimSpace(point)
	if strings.ContainsAny(point, pointSpecial) {
		return "", "", fmt.Errorf("point %s must be quoted", lex.Excerpt(point, excerptLen))
	}
	return point, strings.TrimSpace(rest), nil
}

// cutRateTimes reads the percent and the count that may come before a
// rule's fault, as in "10%3*error", and returns the rate (1 without a
// percent), the count (0 without one) and the text after them.
func cutRateTimes(s string) (rate float64, times int, rest string, err error) {
	rate, rest = 1, s
	if i := strings.IndexByte(rest, '%'); i >= 0 && isNumber(rest[:i]) {
		if rate, err = parsePercent(rest[:i]); err != nil {
			return 0, 0, "", err
		}
		rest = strings.TrimSpace(rest[i+1:])
	}
	if i := strings.IndexByte(rest, '*'); i >= 0 && isDigits(strings.TrimSpace(rest[:i])) {
		if times, err = strconv.Atoi(strings.TrimSpace(rest[:i])); err != nil {
			return 0, 0, "", fmt.Errorf("count %s is too large", lex.Excerpt(rest[:i], excerptLen))
		}
		rest = strings.TrimSpace(rest[i+1:])
	}
	return rate, times, rest, nil
}

// parseOptions reads opts, the text between a rule's brackets, into r. Its
// error names the first maxOptionErrors bad options and counts the rest.
func parseOptions(r *Rule, opts string) error {
	if opts == "" {
		return nil
	}
	items, err := lex.Split(opts, ',')
	if err != nil {
		return fmt.Errorf("options: %v", err)
	}
	var msgs []string
	bad := 0
	for _, item := range items {
		if err := parseOption(r, strings.TrimSpace(item)); err != nil {
			if bad++; bad <= maxOptionErrors {
				msgs = append(msgs, err.Error())
			}
		}
	}
	switch {
	case bad == 0:
		return nil
	case bad > maxOptionErrors:
		msgs = append(msgs, fmt.Sprintf("and %d more", bad-maxOptionErrors))
	}
	return errors.New(strings.Join(msgs, ", "))
}

// maxOptionErrors is the most bad options the problem of one rule names.
const maxOptionErrors = 8

// cutOptions splits "fault[opts]" into the fault and the text between the
// brackets, honouring quotes and parentheses.
func cutOptions(s string) (fault, opts string, err error) {
	fault, opts, found, err := lex.Cut(s, '[')
	switch {
	case err != nil || !found:
		// Without options, or with brackets or quotes unbalanced: the fault
		// parser says what is wrong in the fault's own terms.
		return s, "", nil
	case !strings.HasSuffix(opts, "]"):
		return "", "", errors.New("options: missing ]")
	}
	return strings.TrimSpace(fault), opts[:len(opts)-1], nil
}

// parseOption reads one option of a rule, "key=value", into r.
func parseOption(r *Rule, s string) error {
	key, val, ok, err := lex.Cut(s, '=')
	key = strings.TrimSpace(key)
	name := key // for messages
	if len(name) > excerptLen {
		name = lex.Excerpt(key, excerptLen)
	}
	if err != nil || !ok {
		return fmt.Errorf("option %s has no =", lex.Excerpt(s, excerptLen))
	}
	v, err := lex.Value(val)
	if err != nil {
		return fmt.Errorf("%s: %v", name, err)
	}
	q := lex.Excerpt(v, excerptLen)
	count := func(dst *int) error {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return fmt.Errorf("%s: %s is not a count", key, q)
		}
		*dst = n
		return nil
	}
	switch {
	case key == "after":
		return count(&r.After)
	case key == "every":
		return count(&r.Every)
	case key == "ttl":
		d, err := time.ParseDuration(v)
		if err != nil {
			return fmt.Errorf("ttl: %s is not a duration", q)
		}
		r.TTL = d
	case key == "until":
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			return fmt.Errorf("until: %s is not an RFC 3339 time", q)
		}
		r.Until = t.UTC()
	case key == "sticky":
		r.Sticky = v
	case key == "instances":
		p, ok := strings.CutSuffix(v, "%")
		if !ok || !isNumber(p) {
			return fmt.Errorf("instances: %s is not a percentage", q)
		}
		share, err := parsePercent(p)
		if err != nil {
			return fmt.Errorf("instances: %v", err)
		}
		if share == 0 {
			share = -1 // no instance; the option left out means all
		}
		r.Instances = share
	case strings.HasPrefix(key, "label."):
		k, err := lex.Value(strings.TrimPrefix(key, "label."))
		if err != nil {
			return fmt.Errorf("%s: %v", name, err)
		}
		if r.Labels == nil {
			r.Labels = make(map[string]string)
		}
		r.Labels[k] = v
	default:
		return fmt.Errorf("unknown option %s (want after, every, ttl, until, sticky, instances or label.KEY)", lex.Excerpt(key, excerptLen))
	}
	return nil
}

// isDigits reports whether s is one or more decimal digits.
func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// isNumber reports whether s is a decimal number: digits with at most one
// point.
func isNumber(s string) bool {
	s = strings.TrimSpace(s)
	i, f, _ := strings.Cut(s, ".")
	return (i != "" || f != "") && (i == "" || isDigits(i)) && (f == "" || isDigits(f))
}

// parsePercent reads a percentage as the exact decimal it writes, moving
// the decimal point two places rather than dividing by 100, so that
// formatPercent and parsePercent round-trip every float64.
func parsePercent(s string) (float64, error) {
	s = strings.TrimSpace(s)
	if !isNumber(s) {
		return 0, fmt.Errorf("%s is not a percentage", lex.Excerpt(s, excerptLen))
	}
	i, f, _ := strings.Cut(s, ".")
	for len(i) < 3 {
		i = "0" + i
	}
	v, err := strconv.ParseFloat(i[:len(i)-2]+"."+i[len(i)-2:]+f, 64)
	if err != nil {
		return 0, fmt.Errorf("%s is not a percentage", lex.Excerpt(s, excerptLen))
	}
	return v, nil
}

// formatPercent writes a share in [0,1] as a percentage, exactly.
func formatPercent(v float64) string {
	if v == 0 {
		return "0" // and not "-000" for -0
	}
	s := strconv.FormatFloat(v, 'f', -1, 64)
	i, f, _ := strings.Cut(s, ".")
	for len(f) < 2 {
		f += "0"
	}
	i, f = strings.TrimLeft(i+f[:2], "0"), f[2:]
	if i == "" {
		i = "0"
	}
	if f == "" {
		return i
	}
	return i + "." + f
}

// String returns the plan in the text form [ParsePlan] reads. The version
// is left out.
func (p Plan) String() string {
	var b strings.Builder
	for i, r := range p.Rules {
		if i > 0 {
			b.WriteByte(';')
		}
		b.WriteString(r.String())
	}
	return b.String()
}

// String returns the rule in the text form of [ParsePlan].
func (r Rule) String() string {
	var b strings.Builder
	b.WriteString(lex.Quote(r.Point, pointQuote))
	b.WriteByte('=')
	if r.Rate != 1 {
		b.WriteString(formatPercent(r.Rate))
		b.WriteByte('%')
	}
	if r.Times > 0 {
		b.WriteString(strconv.Itoa(r.Times))
		b.WriteByte('*')
	}
	if len(r.Choices) == 0 {
		b.Write(r.Fault.AppendText(nil))
	}
	for j, c := range r.Choices {
		if j > 0 {
			b.WriteByte('|')
		}
		b.Write(c.Fault.AppendText(nil))
		if c.Weight != 0 {
			b.WriteByte('@')
			b.WriteString(strconv.Itoa(c.Weight))
		}
	}
	var opts []string
	if r.After > 0 {
		opts = append(opts, "after="+strconv.Itoa(r.After))
	}
	if r.Every > 0 {
		opts = append(opts, "every="+strconv.Itoa(r.Every))
	}
	if r.TTL > 0 {
		opts = append(opts, "ttl="+r.TTL.String())
	}
	if !r.Until.IsZero() {
		opts = append(opts, "until="+r.Until.UTC().Format(time.RFC3339Nano))
	}
	if r.Sticky != "" {
		opts = append(opts, "sticky="+lex.Quote(r.Sticky, optSpecial))
	}
	switch {
	case r.Instances > 0:
		opts = append(opts, "instances="+formatPercent(r.Instances)+"%")
	case r.Instances < 0:
		opts = append(opts, "instances=0%")
	}
	for _, k := range slices.Sorted(maps.Keys(r.Labels)) {
		opts = append(opts, "label."+lex.Quote(k, optSpecial)+"="+lex.Quote(r.Labels[k], optSpecial))
	}
	if len(opts) > 0 {
		b.WriteByte('[')
		b.WriteString(strings.Join(opts, ","))
		b.WriteByte(']')
	}
	return b.String()
}
