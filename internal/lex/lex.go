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

// SyntaxError is a quote or bracket that does not pair up. Its text is
// Msg alone, so that callers may say where in their own terms.
type SyntaxError struct {
	// Offset is the byte offset, in the text scanned, of the quote that is
	// never closed, of the closing bracket that closes nothing, or of the
	// outermost opening bracket left open.
	Offset int
	// Msg says what is wrong: "unterminated quoted string", "unbalanced )"
	// (or ] or }) or "unbalanced brackets".
	Msg string
}

// Error returns Msg.
func (e *SyntaxError) Error() string { return e.Msg }

// Split splits s at every sep that stands outside a double-quoted Go string
// and outside (), [] and {} pairs. It returns a [*SyntaxError] for an
// unterminated string or unbalanced brackets, with its offset in s. Split
// of "" is one empty part.
func Split(s string, sep byte) ([]string, error) {
	var parts []string
	base := 0
	for {
		i, err := Index(s[base:], sep)
		if err != nil {
			if se, ok := err.(*SyntaxError); ok {
				se.Offset += base
			}
			return nil, err
		}
		if i < 0 {
			return append(parts, s[base:]), nil
		}
		parts, base = append(parts, s[base:base+i]), base+i+1
	}
}

// Cut cuts s around the first sep that stands outside a double-quoted Go
// string and outside (), [] and {} pairs, as strings.Cut does. A sep that
// is itself an opening bracket is found before it opens a pair. Its error
// is Index's.
func Cut(s string, sep byte) (before, after string, found bool, err error) {
	i, err := Index(s, sep)
	if err != nil || i < 0 {
		return s, "", false, err
	}
	return s[:i], s[i+1:], true, nil
}

// Index returns the index of the first sep in s that stands outside a
// double-quoted Go string and outside (), [] and {} pairs, or -1. It
// returns a [*SyntaxError] for an unterminated string, a closing bracket
// with no opening one, or, when sep is not found, brackets left open. It
// reads s once: its time is linear in the bytes up to the sep found.
func Index(s string, sep byte) (int, error) {
	depth, open := 0, 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == sep && depth == 0 {
			return i, nil
		}
		switch c {
		case '"':
			q, err := strconv.QuotedPrefix(s[i:])
			if err != nil {
				return -1, &SyntaxError{Offset: i, Msg: "unterminated quoted string"}
			}
			i += len(q) - 1
		case '(', '[', '{':
			if depth == 0 {
				open = i
			}
			depth++
		case ')', ']', '}':
			depth--
			if depth < 0 {
				return -1, &SyntaxError{Offset: i, Msg: "unbalanced " + string(c)}
			}
		}
	}
	if depth != 0 {
		return -1, &SyntaxError{Offset: open, Msg: "unbalanced brackets"}
	}
	return -1, nil
}

// Excerpt returns s quoted as a Go string for an error message, cut to its
// first n bytes (at a rune boundary) and followed by "..." when it is
// longer, so that a message about a long value stays short.
func Excerpt(s string, n int) string {
	if len(s) <= n {
		return strconv.Quote(s)
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return strconv.Quote(s[:n]) + "..."
}

// Value reads one value: a double-quoted Go string, or bare text with its
// surrounding spaces trimmed. Bare text may not contain a double quote.
// Its error shows at most the first 64 bytes of s.
func Value(s string) (string, error) {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, `"`) {
		v, err := strconv.Unquote(s)
		if err != nil {
			if len(s) > valueExcerpt {
				return "", errors.New("bad quoted string " + Excerpt(s, valueExcerpt))
			}
			return "", errors.New("bad quoted string " + s)
		}
		return v, nil
	}
	if strings.ContainsRune(s, '"') {
		return "", errors.New("stray quote in " + Excerpt(s, valueExcerpt))
	}
	return s, nil
}

// valueExcerpt is how much of a bad value the error of Value shows.
const valueExcerpt = 64

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
