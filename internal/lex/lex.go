// Package lex holds the small lexical helpers shared by faultline's text
// formats: splitting at separators outside quotes and brackets, and quoting
// values that would otherwise be misread.
package lex

import (
	"errors"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Split splits s at every sep that stands outside a double-quoted Go string
// and outside (), [] and {} pairs. It returns an error for an unterminated
// string or unbalanced brackets. Split of "" is one empty part.
func Split(s string, sep byte) ([]string, error) {
	var parts []string
	depth, start := 0, 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '"':
			q, err := strconv.QuotedPrefix(s[i:])
			if err != nil {
				return nil, errors.New("unterminated quoted string")
			}
			i += len(q) - 1
		case '(', '[', '{':
			depth++
		case ')', ']', '}':
			depth--
			if depth < 0 {
				return nil, errors.New("unbalanced " + string(c))
			}
		default:
			if c == sep && depth == 0 {
				parts = append(parts, s[start:i])
				start = i + 1
			}
		}
	}
	if depth != 0 {
		return nil, errors.New("unbalanced brackets")
	}
	return append(parts, s[start:]), nil
}

// Value reads one value: a double-quoted Go string, or bare text with its
// surrounding spaces trimmed. Bare text may not contain a double quote.
func Value(s string) (string, error) {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, `"`) {
		v, err := strconv.Unquote(s)
		if err != nil {
			return "", errors.New("bad quoted string " + s)
		}
		return v, nil
	}
	if strings.ContainsRune(s, '"') {
		return "", errors.New("stray quote in " + strconv.Quote(s))
	}
	return s, nil
}

// Quote returns s unchanged when [Value] reads it back as s and it holds
// none of the bytes in special; otherwise it returns s as a quoted Go
// string.
func Quote(s, special string) string {
	if s == "" || !utf8.ValidString(s) || strings.ContainsAny(s, special+`"\`) ||
		strings.TrimSpace(s) != s {
		return strconv.Quote(s)
	}
	for _, r := range s {
		if !unicode.IsPrint(r) {
			return strconv.Quote(s)
		}
	}
	return s
}
