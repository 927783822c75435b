package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/faultline-go/faultline/chaos"
)

// maxInput bounds what the command reads from a file or standard input:
// 64 MiB, far above chaos.MaxPlanSize and any report.
const maxInput = 64 << 20

// readInput reads the file name, or standard input for "-".
func (c *cli) readInput(name string) ([]byte, error) {
	var r io.Reader
	if name == "-" {
		r = c.stdin
	} else {
		f, err := os.Open(name)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		r = f
	}
	b, err := io.ReadAll(io.LimitReader(r, maxInput+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", displayName(name), err)
	}
	if len(b) > maxInput {
		return nil, fmt.Errorf("%s is larger than %d bytes", displayName(name), maxInput)
	}
	return b, nil
}

// displayName names an input in messages: "stdin" for "-".
func displayName(name string) string {
	if name == "-" {
		return "stdin"
	}
	return name
}

// planArg reads a PLAN argument: the file it names ("-" for standard
// input), or else the plan text itself. It returns where the plan came
// from, for messages ("plan.json", "stdin", "plan"), and the plan; a plan
// with problems fails with the *chaos.PlanError of chaos.ParsePlan.
func (c *cli) planArg(arg string) (source string, p chaos.Plan, err error) {
	text := arg
	source = "plan"
	if isFile(arg) {
		b, err := c.readInput(arg)
		if err != nil {
			return displayName(arg), chaos.Plan{}, err
		}
		source, text = displayName(arg), string(b)
	} else if t := strings.TrimSpace(arg); t != "" && !strings.HasPrefix(t, "{") && !strings.Contains(t, "=") {
		// Not a plan (every rule has a '='): most likely a file name
		// with a typo.
		return arg, chaos.Plan{}, fmt.Errorf("no such file, and not a plan either (a rule reads POINT=FAULT)")
	}
	p, err = chaos.ParsePlan(text)
	return source, p, err
}

// plan reads the plan of arg as planArg does; on failure it prints every
// problem and returns exitInvalid.
func (c *cli) plan(arg string) (source string, p chaos.Plan, code int) {
	source, p, err := c.planArg(arg)
	if err != nil {
		printProblems(c.stderr, source, err)
		return source, chaos.Plan{}, exitInvalid
	}
	return source, p, exitOK
}

// isFile reports whether arg is "-" or names a file that exists.
func isFile(arg string) bool {
	if arg == "-" {
		return true
	}
	if arg == "" || strings.ContainsAny(arg, "\n") {
		return false
	}
	st, err := os.Stat(arg)
	return err == nil && !st.IsDir()
}

// printProblems prints err, found in source, one problem a line: "SOURCE:
// PATH: MESSAGE" for each problem of a *chaos.PlanError.
func printProblems(w io.Writer, source string, err error) {
	var pe *chaos.PlanError
	if !errors.As(err, &pe) {
		fmt.Fprintf(w, "%s: %v\n", source, err)
		return
	}
	for _, p := range pe.Problems {
		if p.Path == "" {
			fmt.Fprintf(w, "%s: %s\n", source, p.Message)
		} else {
			fmt.Fprintf(w, "%s: %s: %s\n", source, p.Path, p.Message)
		}
	}
	if pe.More > 0 {
		fmt.Fprintf(w, "%s: and %d more problems\n", source, pe.More)
	}
	if len(pe.Problems) == 0 && pe.More == 0 {
		fmt.Fprintf(w, "%s: %v\n", source, pe.Err)
	}
}

// problemsOf returns the problems of err: those of a *chaos.PlanError, or
// err itself as one problem of the document as a whole.
func problemsOf(err error) []chaos.Problem {
	var pe *chaos.PlanError
	if errors.As(err, &pe) {
		return pe.Problems
	}
	return []chaos.Problem{{Message: err.Error()}}
}

// readPolicy reads a policy file: the JSON form of chaos.Policy, read
// strictly (an unknown field, or data after the policy, is an error:
// durationField reads the document whole first).
// "max_latency" may be a Go duration string ("2s") as well as the number
// of nanoseconds that chaos.Policy marshals to. The policy is validated.
func (c *cli) readPolicy(name string) (chaos.Policy, error) {
	b, err := c.readInput(name)
	if err != nil {
		return chaos.Policy{}, err
	}
	b, err = durationField(b, "max_latency")
	if err != nil {
		return chaos.Policy{}, err
	}
	var p chaos.Policy
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return chaos.Policy{}, err
	}
	return p, p.Validate()
}

// durationField rewrites the top-level field key of the JSON object b,
// when it is a string, from a Go duration to its nanoseconds.
func durationField(b []byte, key string) ([]byte, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	raw, ok := m[key]
	if !ok || !bytes.HasPrefix(bytes.TrimSpace(raw), []byte(`"`)) {
		return b, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return nil, fmt.Errorf("%s: %w", key, err)
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return nil, fmt.Errorf("%s: %q is not a duration, as in \"2s\"", key, s)
	}
	m[key] = json.RawMessage(fmt.Sprint(int64(d)))
	return json.Marshal(m)
}

// writeJSON writes v to w, indented.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
