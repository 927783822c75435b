package faults

import (
	"errors"
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
//	delay(normal(MEAN,SD[,MAX]))  Latency drawn from a distribution (see [Dist]),
//	delay(lognormal(MED,S[,MAX])) capped at MAX (see [Fault.Max])
//	delay(pareto(SCALE,A[,MAX]))
//	error error(MSG) error(MSG,C) Error with a message, answered with status C by HTTP servers
//	panic panic(MSG)              Panic
//	hang hang(D)                  Hang, for at most D (see [Fault.HangLimit])
//	pause pause(D)                Pause until the point is released, for at most D
//	squeeze(D) cancel             Squeeze the context's deadline to D from now; cancel it
//	custom(NAME) NAME             the custom fault registered as NAME (see [Register])
//	status(C) status(C,BODY)      Status C with an optional body
//	abort badconn corrupt         the transport faults
//
// MSG and BODY are bare text or double-quoted Go strings; D, J, SD and MAX
// are Go durations; S and A are decimal numbers. squeeze(0) is written
// cancel, and a custom fault custom(NAME). [ParseFault] reads every form
// back to the same Fault.
func (f Fault) AppendText(b []byte) []byte {
	name := f.Kind.String()
	switch {
	case f.Kind == KindLatency:
		name = "delay"
	case f.Kind == KindSqueeze && f.Delay == 0:
		name = "cancel"
	}
	b = append(b, name...)
	var args []string
	switch f.Kind {
	case KindLatency:
		if f.Dist != Uniform {
			args = append(args, f.distText())
			break
		}
		args = append(args, f.Delay.String())
		if f.Jitter != 0 {
			args = append(args, f.Jitter.String())
		}
	case KindSqueeze:
		if f.Delay != 0 {
			args = append(args, f.Delay.String())
		}
	case KindCustom:
		args = append(args, lex.Quote(f.Name, argSpecial))
	case KindHang, KindPause:
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
	name, args, hasArgs, err := splitCall(s)
	if err != nil {
		return Fault{}, fmt.Errorf("fault %s: %v", q, err)
	}
	kind, err := ParseKind(name)
	switch {
	case name == "cancel":
		if hasArgs {
			return Fault{}, fmt.Errorf("fault %s: cancel takes no arguments", q)
		}
		return Cancel(), nil
	case err != nil && !hasArgs && Lookup(name) != nil:
		return Custom(name), nil
	case err != nil:
		return Fault{}, fmt.Errorf("fault %s: unknown fault %s (want delay, error, panic, hang, pause, squeeze, cancel, status, abort, badconn, corrupt or custom(NAME))", q, lex.Excerpt(name, excerptLen))
	}
	f := Fault{Kind: kind}
	if err := kindArgs[kind].bind(&f, name, args, hasArgs); err != nil {
		return Fault{}, fmt.Errorf("fault %s: %v", q, err)
	}
	if err := f.Validate(); err != nil {
		return Fault{}, fmt.Errorf("fault %s: %v", q, err)
	}
	return f, nil
}

// splitCall splits a fault's text, "name" or "name(arg,…)", into the name
// and the arguments, unquoted. hasArgs reports whether there are
// parentheses: "name()" has one empty argument.
func splitCall(s string) (name string, args []string, hasArgs bool, err error) {
	name, rest, hasArgs := strings.Cut(s, "(")
	name = strings.TrimSpace(name)
	if !hasArgs {
		return name, nil, false, nil
	}
	if !strings.HasSuffix(rest, ")") {
		return "", nil, true, errors.New("missing )")
	}
	parts, err := lex.Split(rest[:len(rest)-1], ',')
	if err != nil {
		return "", nil, true, err
	}
	for _, p := range parts {
		v, err := lex.Value(p)
		if err != nil {
			return "", nil, true, err
		}
		args = append(args, v)
	}
	return name, args, true, nil
}

// argSetter stores one argument of a fault's text in f.
type argSetter func(f *Fault, arg string) error

// faultArgs says which arguments a kind of fault takes in the text form.
// The zero faultArgs takes none.
type faultArgs struct {
	// set stores the arguments in turn: the kind takes at most len(set).
	set []argSetter
	// need, if not empty, says that the first argument is required, as in
	// "delay needs a duration, as in delay(200ms)".
	need string
	// noEmpty, if not empty, refuses "name()", one empty argument.
	noEmpty string
}

// kindArgs lists the arguments of every kind that takes any.
var kindArgs = map[Kind]faultArgs{
	KindLatency: {set: []argSetter{setLatency, setJitter}, need: "delay needs a duration, as in delay(200ms)"},
	KindHang:    {set: []argSetter{setDelay}, noEmpty: "hang takes a duration, as in hang(30s), or no parentheses"},
	KindPause:   {set: []argSetter{setDelay}, noEmpty: "pause takes a duration, as in pause(30s), or no parentheses"},
	KindSqueeze: {set: []argSetter{setDelay}, need: "squeeze needs a duration, as in squeeze(10ms); write cancel to cancel"},
	KindCustom:  {set: []argSetter{setName}, need: "custom needs a name, as in custom(closeconn)"},
	KindError:   {set: []argSetter{setMessage, setCode}},
	KindPanic:   {set: []argSetter{setMessage}},
	KindStatus:  {set: []argSetter{setCode, setBody}, need: "status needs a code, as in status(503)"},
}

// bind stores args, the arguments of the fault written name, in f.
func (a faultArgs) bind(f *Fault, name string, args []string, hasArgs bool) error {
	switch n := len(a.set); {
	case len(args) == 0 && a.need != "":
		return errors.New(a.need)
	case hasArgs && n == 0:
		return fmt.Errorf("%s takes no arguments", name)
	case len(args) == 1 && strings.TrimSpace(args[0]) == "" && a.noEmpty != "":
		return errors.New(a.noEmpty)
	case len(args) > n && n == 1:
		return fmt.Errorf("%s takes at most one argument", name)
	case len(args) > n:
		return fmt.Errorf("%s takes at most %d arguments", name, n)
	}
	for i, arg := range args {
		if err := a.set[i](f, arg); err != nil {
			return err
		}
	}
	return nil
}

func setMessage(f *Fault, arg string) error { f.Message = arg; return nil }

func setBody(f *Fault, arg string) error { f.Body = arg; return nil }

func setDelay(f *Fault, arg string) (err error) { f.Delay, err = parseDuration(arg); return err }

func setName(f *Fault, arg string) error { f.Name = arg; return nil }

func setJitter(f *Fault, arg string) (err error) {
	if f.Dist != Uniform {
		return fmt.Errorf("delay(%v(…)) takes one argument; write a cap as the distribution's last", f.Dist)
	}
	f.Jitter, err = parseDuration(arg)
	return err
}

// setLatency reads the first argument of delay: a duration, or a
// distribution such as normal(200ms,50ms).
func setLatency(f *Fault, arg string) error {
	if !strings.Contains(arg, "(") {
		return setDelay(f, arg)
	}
	name, args, _, err := splitCall(arg)
	if err != nil {
		return err
	}
	d, err := ParseDist(name)
	if err != nil || d == Uniform {
		return fmt.Errorf("unknown distribution %s (want normal, lognormal or pareto)", lex.Excerpt(name, excerptLen))
	}
	if len(args) < 2 || len(args) > 3 {
		return fmt.Errorf("%v takes two or three arguments, as in %v", d, distExamples[d])
	}
	f.Dist = d
	if f.Delay, err = parseDuration(args[0]); err != nil {
		return err
	}
	if d == Normal {
		f.Jitter, err = parseDuration(args[1])
	} else {
		f.Shape, err = strconv.ParseFloat(strings.TrimSpace(args[1]), 64)
		if err != nil {
			err = fmt.Errorf("%s is not a number", lex.Excerpt(args[1], excerptLen))
		}
	}
	if err != nil {
		return err
	}
	if len(args) == 3 {
		f.Max, err = parseDuration(args[2])
	}
	return err
}

var distExamples = [numDists]string{Normal: "normal(200ms,50ms)", LogNormal: "lognormal(100ms,0.5)", Pareto: "pareto(50ms,1.5,2s)"}

// distText returns the distribution of a latency in the text form, as in
// "normal(200ms,50ms)".
func (f Fault) distText() string {
	second := strconv.FormatFloat(f.Shape, 'g', -1, 64)
	if f.Dist == Normal {
		second = f.Jitter.String()
	}
	s := f.Dist.String() + "(" + f.Delay.String() + "," + second
	if f.Max != 0 {
		s += "," + f.Max.String()
	}
	return s + ")"
}

func setCode(f *Fault, arg string) (err error) { f.Code, err = parseCode(arg); return err }

// parseDuration reads arg, an argument of a fault.
func parseDuration(arg string) (time.Duration, error) {
	d, err := time.ParseDuration(arg)
	if err != nil {
		return 0, fmt.Errorf("%s is not a duration", lex.Excerpt(arg, excerptLen))
	}
	return d, nil
}

// parseCode reads arg, an argument of a fault.
func parseCode(arg string) (int, error) {
	c, err := strconv.Atoi(arg)
	if err != nil {
		return 0, fmt.Errorf("%s is not a status code", lex.Excerpt(arg, excerptLen))
	}
	return c, nil
}
