package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"

	"github.com/faultline-go/faultline/chaos"
)

var validateCmd = &command{
	name:  "validate",
	args:  "[-policy FILE] [-json] PLAN",
	short: "check a plan, and that a policy allows it",
	help: `Validate parses PLAN (a file, "-" for standard input, or the plan text) in
either form, text or JSON, and prints every problem on a line of its own,
as SOURCE: PATH: MESSAGE. With -policy it also checks the plan against the
policy in FILE (the JSON form of chaos.Policy; "max_latency" may be a
duration such as "2s"), as an engine with that policy would: what the
policy refuses is a problem, and what it clamps is a warning. The exit code
is 0 for a valid plan and 1 for one with problems: run it in CI on plan
documents.

examples:
  faultline validate plans/checkout.json
  faultline validate -policy prod-policy.json plans/checkout.txt
  faultline validate 'db.query=10%delay(200ms);pay.*=3*error(timeout)'
  git show HEAD:plan.json | faultline validate -json -`,
	flags: func(c *cli, fs *flag.FlagSet) func([]string) int {
		policy := fs.String("policy", "", "check the plan against the policy in `FILE` (JSON)")
		asJSON := fs.Bool("json", false, "print the result as JSON")
		return func(args []string) int {
			if len(args) != 1 {
				fs.Usage()
				return exitUsage
			}
			return c.validate(args[0], *policy, *asJSON)
		}
	},
}

// validation is the result of validate, as -json prints it.
type validation struct {
	Source   string          `json:"source"`
	Valid    bool            `json:"valid"`
	Rules    int             `json:"rules"`
	Plan     string          `json:"plan,omitempty"`
	Policy   string          `json:"policy,omitempty"`
	Problems []chaos.Problem `json:"problems"`
	More     int             `json:"more,omitempty"`
	Clamped  []string        `json:"clamped,omitempty"`
}

func (c *cli) validate(arg, policyFile string, asJSON bool) int {
	source, p, err := c.planArg(arg)
	v := validation{Source: source, Policy: policyFile, Problems: []chaos.Problem{}}
	where := source
	if err == nil && policyFile != "" {
		var pol chaos.Policy
		if pol, err = c.readPolicy(policyFile); err != nil {
			where = "policy " + policyFile
		} else {
			p, v.Clamped, err = pol.Check(p)
		}
	}
	if err != nil {
		var pe *chaos.PlanError
		if errors.As(err, &pe) {
			v.More = pe.More
		}
		v.Problems = problemsOf(err)
		if asJSON {
			v.Source = where
			writeJSON(c.stdout, v)
		} else {
			printProblems(c.stdout, where, err)
		}
		return exitInvalid
	}
	v.Valid, v.Rules, v.Plan = true, len(p.Rules), p.String()
	if asJSON {
		writeJSON(c.stdout, v)
		return exitOK
	}
	for _, cl := range v.Clamped {
		fmt.Fprintf(c.stdout, "%s: warning: %s\n", source, cl)
	}
	msg := fmt.Sprintf("%s: valid, %d %s", source, len(p.Rules), plural(len(p.Rules), "rule", "rules"))
	if policyFile != "" {
		msg += ", allowed by " + policyFile
		if len(v.Clamped) > 0 {
			msg += " once clamped"
		}
	}
	fmt.Fprintln(c.stdout, msg)
	return exitOK
}

var fmtCmd = &command{
	name:  "fmt",
	args:  "PLAN",
	short: "print a plan in its canonical text form",
	help: `Fmt prints PLAN (a file, "-" for standard input, or the plan text; text or
JSON) in the canonical one-line text form that chaos.ParsePlan reads and
Plan.String writes. The text form has no version: a JSON plan's version is
dropped, with a note on standard error. fmt and json round-trip:
faultline fmt "$(faultline json PLAN)" prints what faultline fmt PLAN does.

examples:
  faultline fmt 'db.query = 10% delay(200ms) ; pay.* = 3*error(timeout)'
  faultline fmt plan.json > plan.txt`,
	flags: func(c *cli, fs *flag.FlagSet) func([]string) int {
		return func(args []string) int {
			if len(args) != 1 {
				fs.Usage()
				return exitUsage
			}
			_, p, code := c.plan(args[0])
			if code != exitOK {
				return code
			}
			if p.Version != "" {
				fmt.Fprintf(c.stderr, "faultline: note: the text form has no version; %q is dropped\n", p.Version)
			}
			fmt.Fprintln(c.stdout, p.String())
			return exitOK
		}
	},
}

var jsonCmd = &command{
	name:  "json",
	args:  "[-version V] PLAN",
	short: "print a plan in its JSON form",
	help: `Json prints PLAN (a file, "-" for standard input, or the plan text; text or
JSON) in the JSON form that chaos.ParsePlan reads and Plan.MarshalJSON
writes, indented. -version sets the plan's version, which the text form
does not carry.

examples:
  faultline json 'db.query=10%delay(200ms)' > plan.json
  faultline json -version v7 plan.txt`,
	flags: func(c *cli, fs *flag.FlagSet) func([]string) int {
		version := fs.String("version", "", "set the plan's version to `V` (default: keep the plan's own)")
		return func(args []string) int {
			if len(args) != 1 {
				fs.Usage()
				return exitUsage
			}
			source, p, code := c.plan(args[0])
			if code != exitOK {
				return code
			}
			if *version != "" {
				p.Version = *version
			}
			b, err := json.MarshalIndent(p, "", "  ")
			if err != nil {
				return c.failf(exitInvalid, "%s: %v", source, err)
			}
			fmt.Fprintf(c.stdout, "%s\n", b)
			return exitOK
		}
	},
}

// plural returns one for n == 1, else many.
func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
