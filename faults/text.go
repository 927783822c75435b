package faults

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/faultline-go/faultline/internal/lex"
)

// argSpecial lists the bytes that force an argument into quotes.
const argSpecial = "(),;[]{}=%*"

// AppendText appends the fault's text form to b. The forms are:
//
//	delay(D) delay(D,J)           Latency of D, plus up to J of jitter
//	error error(MSG) error(MSG,C) Error with a message, answered with status C by HTTP servers
//	panic panic(MSG)              Panic
//	hang hang(D)                  Hang, for at most D (see [Fault.HangLimit])
//	status(C) status(C,BODY)      Status C with an optional body
//	abort badconn corrupt         the transport faults
//
// MSG and BODY are bare text or double-quoted Go strings; D and J are Go
// durations. [ParseFault] reads every form back to the same Fault.
func (f Fault) AppendText(b []byte) []byte {
	name := f.Kind.String()
	if f.Kind == KindLatency {
		name = "delay"
	}
	b = append(b, name...)
	var args []string
	switch f.Kind {
	case KindLatency:
		args = append(args, f.Delay.String())
		if f.Jitter != 0 {
			args = append(args, f.Jitter.String())
		}
	case KindHang:
		if f.Delay != 0 {
			args = append(args, f.Delay.String())
		}
	case KindError:
		if f.Message != "" || f.Code != 0 {
			args = append(args, lex.Quote(f.Message, argSpecial))
		}
		if f.Code != 0 {
			args = append(args, strconv.Itoa(f.Code))
		}
	case KindPanic:
		if f.Message != "" {
			args = append(args, lex.Quote(f.Message, argSpecial))
		}
	case KindStatus:
		args = append(args, strconv.Itoa(f.Code))
		if f.Body != "" {
			args = append(args, lex.Quote(f.Body, argSpecial))
		}
	}
	if len(args) > 0 {
		b = append(b, '(')
		b = append(b, strings.Join(args, ",")...)
		b = append(b, ')')
	}
	return b
}

// MarshalText implements encoding.TextMarshaler with the form of
// [Fault.AppendText].
func (f Fault) MarshalText() ([]byte, error) {
	if err := f.Validate(); err != nil {
		return nil, err
	}
	return f.AppendText(nil), nil
}

// UnmarshalText implements encoding.TextUnmarshaler with [ParseFault].
func (f *Fault) UnmarshalText(b []byte) error {
	v, err := ParseFault(string(b))
	if err != nil {
		return err
	}
	*f = v
	return nil
}

// excerptLen is how much of a long fault text or argument an error
// message quotes.
const excerptLen = 64

// ParseFault reads a fault in the text form described at
// [Fault.AppendText]. The result is valid: ParseFault fails where
// [Fault.Validate] would. Its error quotes the fault text, cut to its
// first 64 bytes when longer.
func ParseFault(s string) (Fault, error) {
	s = strings.TrimSpace(s)
	q := lex.Excerpt(s, excerptLen)
	name, rest, hasArgs := strings.Cut(s, "(")
	name = strings.TrimSpace(name)
	var args []string
	if hasArgs {
		if !strings.HasSuffix(rest, ")") {
			return Fault{}, fmt.Errorf("fault %s: missing )", q)
		}
		parts, err := lex.Split(rest[:len(rest)-1], ',')
		if err != nil {
			return Fault{}, fmt.Errorf("fault %s: %v", q, err)
		}
		for _, p := range parts {
			v, err := lex.Value(p)
			if err != nil {
				return Fault{}, fmt.Errorf("fault %s: %v", q, err)
			}
			args = append(args, v)
		}
	}
	kind, err := ParseKind(name)
	if err != nil {
		return Fault{}, fmt.Errorf("fault %s: unknown fault %s (want delay, error, panic, hang, status, abort, badconn or corrupt)", q, lex.Excerpt(name, excerptLen))
	}
	f := Fault{Kind: kind}
	tooMany := func(n int) error {
		switch {
		case len(args) <= n:
		case n == 1:
			return fmt.Errorf("fault %s: %s takes at most one argument", q, name)
		default:
			return fmt.Errorf("fault %s: %s takes at most %d arguments", q, name, n)
		}
		return nil
	}
	switch kind {
	case KindLatency:
		if len(args) == 0 {
			return Fault{}, fmt.Errorf("fault %s: delay needs a duration, as in delay(200ms)", q)
		}
		if err = tooMany(2); err == nil {
			f.Delay, err = parseDuration(q, args[0])
		}
		if err == nil && len(args) == 2 {
			f.Jitter, err = parseDuration(q, args[1])
		}
	case KindHang:
		switch {
		case !hasArgs:
		case len(args) == 1 && strings.TrimSpace(args[0]) == "":
			err = fmt.Errorf("fault %s: hang takes a duration, as in hang(30s), or no parentheses", q)
		default:
			if err = tooMany(1); err == nil {
				f.Delay, err = parseDuration(q, args[0])
			}
		}
	case KindError:
		if err = tooMany(2); err == nil && len(args) > 0 {
			f.Message = args[0]
			if len(args) == 2 {
				f.Code, err = parseCode(q, args[1])
			}
		}
	case KindPanic:
		if err = tooMany(1); err == nil && len(args) == 1 {
			f.Message = args[0]
		}
	case KindStatus:
		if len(args) == 0 {
			return Fault{}, fmt.Errorf("fault %s: status needs a code, as in status(503)", q)
		}
		if err = tooMany(2); err == nil {
			f.Code, err = parseCode(q, args[0])
		}
		if err == nil && len(args) == 2 {
			f.Body = args[1]
		}
	default:
		if hasArgs {
			err = fmt.Errorf("fault %s: %s takes no arguments", q, name)
		}
	}
	if err != nil {
		return Fault{}, err
	}
	if err := f.Validate(); err != nil {
		return Fault{}, fmt.Errorf("fault %s: %v", q, err)
	}
	return f, nil
}

// parseDuration reads arg, an argument of the fault quoted as q.
func parseDuration(q, arg string) (time.Duration, error) {
	d, err := time.ParseDuration(arg)
	if err != nil {
		return 0, fmt.Errorf("fault %s: %s is not a duration", q, lex.Excerpt(arg, excerptLen))
	}
	return d, nil
}

// parseCode reads arg, an argument of the fault quoted as q.
func parseCode(q, arg string) (int, error) {
	c, err := strconv.Atoi(arg)
	if err != nil {
		return 0, fmt.Errorf("fault %s: %s is not a status code", q, lex.Excerpt(arg, excerptLen))
	}
	return c, nil
}
