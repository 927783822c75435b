package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/faultline-go/faultline/chaos"
)

var explainCmd = &command{
	name:  "explain",
	args:  "-points FILE|URL [-json] PLAN",
	short: "show which known points each rule of a plan hits",
	help: `Explain matches each rule of PLAN against the points a service knows and
lists the points it hits, then the rules that hit none: most often a typo
in a point name, or a route the service never serves. The exit code is 1
when a rule hits no known point.

The points come from -points:
  - the URL of a live admin handler (http:// or https://), whose api/stats
    it reads, every page, with the token of $FAULTLINE_TOKEN or -token-file;
  - a file ("-" for standard input) holding a dump of api/stats
    (curl -H "Authorization: Bearer $TOKEN" .../api/stats > stats.json);
  - or a file listing point names, one a line (a line starting with # is
    a comment).

examples:
  faultline explain -points http://svc:8080/debug/faultline/ plan.json
  faultline explain -points stats.json 'db.*=10%error;"GET /users/*"=abort'
  faultline explain -points points.txt -json plan.txt`,
	flags: func(c *cli, fs *flag.FlagSet) func([]string) int {
		points := fs.String("points", "", "read the known points from `FILE or URL`")
		asJSON := fs.Bool("json", false, "print the result as JSON")
		conn := addConnFlags(fs)
		return func(args []string) int {
			if len(args) != 1 || *points == "" {
				fs.Usage()
				return exitUsage
			}
			return c.explain(args[0], *points, conn, *asJSON)
		}
	},
}

// ruleHits is one rule of an explained plan and the points it hits.
type ruleHits struct {
	Rule    int      `json:"rule"`
	Pattern string   `json:"point"`
	Text    string   `json:"text"`
	Hits    []string `json:"hits"`
}

// explanation is what explain -json prints.
type explanation struct {
	Source string     `json:"source"`
	Points int        `json:"points"`
	Rules  []ruleHits `json:"rules"`
	// Unmatched lists the indexes of the rules that hit no known point.
	Unmatched []int `json:"unmatched"`
}

func (c *cli) explain(arg, pointsFrom string, conn *connFlags, asJSON bool) int {
	source, p, code := c.plan(arg)
	if code != exitOK {
		return code
	}
	names, code := c.knownPoints(pointsFrom, conn)
	if code != exitOK {
		return code
	}
	slices.Sort(names)
	names = slices.Compact(names)
	x := explanation{Source: source, Points: len(names), Rules: []ruleHits{}, Unmatched: []int{}}
	for i, r := range p.Rules {
		h := ruleHits{Rule: i, Pattern: r.Point, Text: r.String(), Hits: []string{}}
		for _, n := range names {
			if chaos.Match(r.Point, n) {
				h.Hits = append(h.Hits, n)
			}
		}
		if len(h.Hits) == 0 {
			x.Unmatched = append(x.Unmatched, i)
		}
		x.Rules = append(x.Rules, h)
	}
	if asJSON {
		writeJSON(c.stdout, x)
	} else {
		c.printExplanation(x)
	}
	if len(x.Unmatched) > 0 {
		return exitInvalid
	}
	return exitOK
}

func (c *cli) printExplanation(x explanation) {
	w := c.stdout
	for _, h := range x.Rules {
		fmt.Fprintf(w, "rules[%d] %s\n", h.Rule, h.Text)
		if len(h.Hits) == 0 {
			fmt.Fprintln(w, "    (no known point)")
		}
		for _, n := range h.Hits {
			fmt.Fprintf(w, "    %s\n", n)
		}
	}
	fmt.Fprintf(w, "\n%d known %s; ", x.Points, plural(x.Points, "point", "points"))
	if len(x.Unmatched) == 0 {
		fmt.Fprintf(w, "every rule hits at least one\n")
		return
	}
	var names []string
	for _, i := range x.Unmatched {
		names = append(names, fmt.Sprintf("rules[%d] (%q)", i, x.Rules[i].Pattern))
	}
	fmt.Fprintf(w, "%d of %d %s hit none: %s\n", len(x.Unmatched), len(x.Rules), plural(len(x.Rules), "rule", "rules"), strings.Join(names, ", "))
}

// knownPoints returns the point names of from: a live admin URL, a dump
// of api/stats, or a list of names. On failure it prints why and returns
// the exit code.
func (c *cli) knownPoints(from string, conn *connFlags) ([]string, int) {
	if isURL(from) {
		cl, code := c.client(from, conn)
		if code != exitOK {
			return nil, code
		}
		ctx, cancel := context.WithTimeout(context.Background(), conn.timeoutOr(30*time.Second))
		defer cancel()
		st, err := cl.Stats(ctx)
		if err != nil {
			return nil, c.failf(exitTargets, "%s: %v", from, err)
		}
		return statNames(st), exitOK
	}
	b, err := c.readInput(from)
	if err != nil {
		return nil, c.failf(exitInvalid, "points: %v", err)
	}
	if t := bytes.TrimSpace(b); bytes.HasPrefix(t, []byte("{")) {
		var st chaos.Stats
		if err := json.Unmarshal(t, &st); err != nil {
			return nil, c.failf(exitInvalid, "points %s: not a dump of api/stats: %v", displayName(from), err)
		}
		return statNames(st), exitOK
	}
	var names []string
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, maxInput)
	for sc.Scan() {
		if line := strings.TrimSpace(sc.Text()); line != "" && !strings.HasPrefix(line, "#") {
			names = append(names, line)
		}
	}
	return names, exitOK
}

func statNames(st chaos.Stats) []string {
	names := make([]string, len(st.Points))
	for i, p := range st.Points {
		names[i] = p.Point
	}
	return names
}

// isURL reports whether s is an http or https URL rather than a file.
func isURL(s string) bool {
	return strings.HasPrefix(s, "http://") || strings.HasPrefix(s, "https://")
}
