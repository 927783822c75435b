package chaossql

import "strings"

// The values of the stmt label.
const (
	kindSelect = "select"
	kindInsert = "insert"
	kindUpdate = "update"
	kindDelete = "delete"
	kindOther  = "other"
)

// classify returns the kind of the SQL statement q, as the package
// documentation describes: the first keyword after spaces, comments and
// opening parentheses, and for WITH the first statement keyword outside
// parentheses, quotes and comments. It reads q without allocating.
func classify(q string) string {
	i := 0
	for {
		i = skipSpace(q, i)
		if i < len(q) && q[i] == '(' {
			i++
			continue
		}
		break
	}
	w, i := word(q, i)
	if strings.EqualFold(w, "with") {
		return classifyWith(q, i)
	}
	if k := keywordKind(w); k != "" {
		return k
	}
	return kindOther
}

// keywordKind returns the kind that a statement starting with the keyword w
// has, or "" if w starts none of select, insert, update and delete.
func keywordKind(w string) string {
	switch len(w) {
	case 6:
		switch {
		case strings.EqualFold(w, "select"), strings.EqualFold(w, "values"):
			return kindSelect
		case strings.EqualFold(w, "insert"):
			return kindInsert
		case strings.EqualFold(w, "update"):
			return kindUpdate
		case strings.EqualFold(w, "delete"):
			return kindDelete
		}
	case 7:
		if strings.EqualFold(w, "replace") {
			return kindInsert
		}
	}
	return ""
}

// classifyWith finds the statement after a WITH clause that starts at q[i]:
// the first statement keyword at parenthesis depth 0.
func classifyWith(q string, i int) string {
	depth := 0
	for i < len(q) {
		i = skipSpace(q, i)
		if i >= len(q) {
			break
		}
		switch c := q[i]; {
		case c == '(':
			depth++
			i++
		case c == ')':
			if depth > 0 {
				depth--
			}
			i++
		case c == '\'' || c == '"' || c == '`':
			i = skipPast(q, i+1, c)
		case c == '[':
			i = skipPast(q, i+1, ']')
		case isWordByte(c):
			var w string
			w, i = word(q, i)
			if depth == 0 {
				if k := keywordKind(w); k != "" {
					return k
				}
			}
		default:
			i++
		}
	}
	return kindOther
}

// skipSpace returns the index of the first byte at or after i that is
// neither white space nor inside a comment.
func skipSpace(q string, i int) int {
	for i < len(q) {
		switch c := q[i]; {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v':
			i++
		case c == '-' && i+1 < len(q) && q[i+1] == '-':
			if j := strings.IndexByte(q[i+2:], '\n'); j >= 0 {
				i += 2 + j + 1
			} else {
				i = len(q)
			}
		case c == '/' && i+1 < len(q) && q[i+1] == '*':
			if j := strings.Index(q[i+2:], "*/"); j >= 0 {
				i += 2 + j + 2
			} else {
				i = len(q)
			}
		default:
			return i
		}
	}
	return i
}

// skipPast returns the index just past the first byte end at or after i,
// or len(q) if there is none. A doubled quote inside a quoted string reads
// as two strings, which skips it the same.
func skipPast(q string, i int, end byte) int {
	if j := strings.IndexByte(q[i:], end); j >= 0 {
		return i + j + 1
	}
	return len(q)
}

// word returns the run of word bytes at q[i] and the index after it.
func word(q string, i int) (string, int) {
	j := i
	for j < len(q) && isWordByte(q[j]) {
		j++
	}
	return q[i:j], j
}

func isWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '$' || c >= 0x80
}
