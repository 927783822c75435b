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
	for {
		i, err := Index(s, sep)
		if err != nil {
			return nil, err
		}
		if i < 0 {
			return append(parts, s), nil
		}
		parts, s = append(parts, s[:i]), s[i+1:]
	}
}

// Cut cuts s around the first sep that stands outside a double-quoted Go
// string and outside (), [] and {} pairs, as strings.Cut does. A sep that
// is itself an opening bracket is found before it opens a pair.
func Cut(s string, sep byte) (before, after string, found bool, err error) {
	i, err := Index(s, sep)
	if err != nil || i < 0 {
		return s, "", false, err
	}
	return s[:i], s[i+1:], true, nil
}

// Index returns the index of the first sep in s that stands outside a
// double-quoted Go string and outside (), [] and {} pairs, or -1. It
// returns an error for an unterminated string, a closing bracket with no
// opening one, or, when sep is not found, brackets left open.
func Index(s string, sep byte) (int, error) {
	depth := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == sep && depth == 0 {
			return i, nil
		}
		switch c {
		case '"':
			q, err := strconv.QuotedPrefix(s[i:])
			if err != nil {
				return -1, errors.New("unterminated quoted string")
			}
			i += len(q) - 1
		case '(', '[', '{':
			depth++
		case ')', ']', '}':
			depth--
			if depth < 0 {
				return -1, errors.New("unbalanced " + string(c))
			}
		}
	}
	if depth != 0 {
		return -1, errors.New("unbalanced brackets")
	}
	return -1, nil
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
