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
//	hang                          Hang
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

// ParseFault reads a fault in the text form described at
// [Fault.AppendText]. The result is valid: ParseFault fails where
// [Fault.Validate] would.
func ParseFault(s string) (Fault, error) {
	s = strings.TrimSpace(s)
	name, rest, hasArgs := strings.Cut(s, "(")
	name = strings.TrimSpace(name)
	var args []string
	if hasArgs {
		if !strings.HasSuffix(rest, ")") {
			return Fault{}, fmt.Errorf("fault %q: missing )", s)
		}
		parts, err := lex.Split(rest[:len(rest)-1], ',')
		if err != nil {
			return Fault{}, fmt.Errorf("fault %q: %v", s, err)
		}
		for _, p := range parts {
			v, err := lex.Value(p)
			if err != nil {
				return Fault{}, fmt.Errorf("fault %q: %v", s, err)
			}
			args = append(args, v)
		}
	}
	kind, err := ParseKind(name)
	if err != nil {
		return Fault{}, fmt.Errorf("fault %q: unknown fault %q (want delay, error, panic, hang, status, abort, badconn or corrupt)", s, name)
	}
	f := Fault{Kind: kind}
	tooMany := func(n int) error {
		switch {
		case len(args) <= n:
		case n == 1:
			return fmt.Errorf("fault %q: %s takes at most one argument", s, name)
		default:
			return fmt.Errorf("fault %q: %s takes at most %d arguments", s, name, n)
		}
		return nil
	}
	switch kind {
	case KindLatency:
		if len(args) == 0 {
			return Fault{}, fmt.Errorf("fault %q: delay needs a duration, as in delay(200ms)", s)
		}
		if err = tooMany(2); err == nil {
			f.Delay, err = parseDuration(s, args[0])
		}
		if err == nil && len(args) == 2 {
			f.Jitter, err = parseDuration(s, args[1])
		}
	case KindError:
		if err = tooMany(2); err == nil && len(args) > 0 {
			f.Message = args[0]
			if len(args) == 2 {
				f.Code, err = parseCode(s, args[1])
			}
		}
	case KindPanic:
		if err = tooMany(1); err == nil && len(args) == 1 {
			f.Message = args[0]
		}
	case KindStatus:
		if len(args) == 0 {
			return Fault{}, fmt.Errorf("fault %q: status needs a code, as in status(503)", s)
		}
		if err = tooMany(2); err == nil {
			f.Code, err = parseCode(s, args[0])
		}
		if err == nil && len(args) == 2 {
			f.Body = args[1]
		}
	default:
		if hasArgs {
			err = fmt.Errorf("fault %q: %s takes no arguments", s, name)
		}
	}
	if err != nil {
		return Fault{}, err
	}
	if err := f.Validate(); err != nil {
		return Fault{}, fmt.Errorf("fault %q: %v", s, err)
	}
	return f, nil
}

func parseDuration(s, arg string) (time.Duration, error) {
	d, err := time.ParseDuration(arg)
	if err != nil {
		return 0, fmt.Errorf("fault %q: %q is not a duration", s, arg)
	}
	return d, nil
}

func parseCode(s, arg string) (int, error) {
	c, err := strconv.Atoi(arg)
	if err != nil {
		return 0, fmt.Errorf("fault %q: %q is not a status code", s, arg)
	}
	return c, nil
}
