package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/chaos/admin"
)

// defaultTimeout bounds each request to a target unless -timeout says
// otherwise.
const defaultTimeout = 5 * time.Second

// tokenEnv is the environment variable the admin commands read the bearer
// token from.
const tokenEnv = "FAULTLINE_TOKEN"

// connFlags are the flags of every command that talks to admin handlers.
type connFlags struct {
	tokenFile string
	timeout   time.Duration
}

func addConnFlags(fs *flag.FlagSet) *connFlags {
	var f connFlags
	fs.StringVar(&f.tokenFile, "token-file", "", "read the bearer token from `FILE` (default: $"+tokenEnv+")")
	fs.DurationVar(&f.timeout, "timeout", 0, "bound each request to a target by `D` (0: 5s; negative: no bound)")
	return &f
}

// timeoutOr returns the request timeout: the flag's, or def for 0; 0 for
// none.
func (f *connFlags) timeoutOr(def time.Duration) time.Duration {
	switch {
	case f.timeout == 0:
		return def
	case f.timeout < 0:
		return 0
	}
	return f.timeout
}

// token returns the bearer token: the content of -token-file, or else
// $FAULTLINE_TOKEN. On failure it prints why and returns the exit code.
func (c *cli) token(f *connFlags) (string, int) {
	if f.tokenFile != "" {
		b, err := c.readInput(f.tokenFile)
		if err != nil {
			return "", c.failf(exitUsage, "token file: %v", err)
		}
		tok := strings.TrimSpace(string(b))
		if tok == "" || strings.ContainsAny(tok, "\r\n") {
			return "", c.failf(exitUsage, "token file %s: want one token on one line", f.tokenFile)
		}
		return tok, exitOK
	}
	if tok := strings.TrimSpace(c.getenv(tokenEnv)); tok != "" {
		return tok, exitOK
	}
	return "", c.failf(exitUsage, "no token: set $%s or pass -token-file FILE", tokenEnv)
}

// client returns a client of the admin handler at target, with the token.
func (c *cli) client(target string, f *connFlags) (*admin.Client, int) {
	tok, code := c.token(f)
	if code != exitOK {
		return nil, code
	}
	cl, err := admin.NewClient(target, tok)
	if err != nil {
		return nil, c.failf(exitUsage, "%v", err)
	}
	c.warnPlainHTTP(cl.URL())
	return cl, exitOK
}

// warnPlainHTTP warns when the token would cross the network in clear.
func (c *cli) warnPlainHTTP(target string) {
	u, err := url.Parse(target)
	if err != nil || u.Scheme != "http" {
		return
	}
	host := u.Hostname()
	if ip := net.ParseIP(host); host == "localhost" || (ip != nil && ip.IsLoopback()) {
		return
	}
	fmt.Fprintf(c.stderr, "faultline: warning: %s is plain http: the token crosses the network unencrypted\n", target)
}

// fleetFlags are the flags of the commands that talk to many targets.
type fleetFlags struct {
	conn     *connFlags
	targets  []string
	file     string
	parallel int
	asJSON   bool
}

func addFleetFlags(fs *flag.FlagSet) *fleetFlags {
	f := &fleetFlags{conn: addConnFlags(fs)}
	fs.Func("target", "an admin handler's `URL`, as http://svc:8080/debug/faultline/ (repeat for more)", func(s string) error {
		f.targets = append(f.targets, s)
		return nil
	})
	fs.StringVar(&f.file, "targets", "", "read targets from `FILE`, one URL a line (# starts a comment line)")
	fs.IntVar(&f.parallel, "parallel", 0, "talk to at most `N` targets at once (0: all at once)")
	fs.BoolVar(&f.asJSON, "json", false, "print the results as JSON")
	return f
}

// targetList returns the targets of -target and -targets, in order,
// without duplicates. On failure it prints why and returns the exit code.
func (c *cli) targetList(f *fleetFlags) ([]string, int) {
	list := slices.Clone(f.targets)
	if f.file != "" {
		b, err := c.readInput(f.file)
		if err != nil {
			return nil, c.failf(exitUsage, "targets: %v", err)
		}
		sc := bufio.NewScanner(bytes.NewReader(b))
		for sc.Scan() {
			if line := strings.TrimSpace(sc.Text()); line != "" && !strings.HasPrefix(line, "#") {
				list = append(list, line)
			}
		}
	}
	var out []string
	for _, t := range list {
		if !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	if len(out) == 0 {
		return nil, c.failf(exitUsage, "no target: pass -target URL or -targets FILE")
	}
	return out, exitOK
}

// result is what one target answered, as the table and -json show it.
type result struct {
	Target string `json:"target"`
	// OK reports that the target answered and confirmed the change.
	OK    bool   `json:"ok"`
	Error string `json:"error,omitempty"`
	// Status is the answer of api/status (the status command), State that
	// of the other commands.
	Status *admin.Status    `json:"status,omitempty"`
	State  *admin.PlanState `json:"state,omitempty"`
}

// fleetReport is what the admin commands print with -json.
type fleetReport struct {
	Command string   `json:"command"`
	Results []result `json:"results"`
	// Failed lists the targets that failed or did not confirm.
	Failed []string `json:"failed"`
}

// op is what an admin command does on one target: it returns the result,
// with OK set when the target confirmed.
type op func(ctx context.Context, cl *admin.Client) result

// fleet runs do on every target at once, each bounded by the timeout,
// prints the table (or JSON) and returns the exit code.
func (c *cli) fleet(name string, f *fleetFlags, do op) int {
	targets, code := c.targetList(f)
	if code != exitOK {
		return code
	}
	tok, code := c.token(f.conn)
	if code != exitOK {
		return code
	}
	timeout := f.conn.timeoutOr(defaultTimeout)
	tr := http.DefaultTransport.(*http.Transport).Clone()
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr, Timeout: timeout}

	results := make([]result, len(targets))
	limit := f.parallel
	if limit <= 0 {
		limit = len(targets)
	}
	sem := make(chan struct{}, limit)
	var wg sync.WaitGroup
	for i, t := range targets {
		cl, err := admin.NewClient(t, tok, admin.WithHTTPClient(hc))
		if err != nil {
			results[i] = result{Target: t, Error: err.Error()}
			continue
		}
		c.warnPlainHTTP(cl.URL())
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			ctx := context.Background()
			if timeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, timeout)
				defer cancel()
			}
			r := do(ctx, cl)
			r.Target = t
			results[i] = r
		})
	}
	wg.Wait()

	rep := fleetReport{Command: name, Results: results, Failed: []string{}}
	for _, r := range results {
		if !r.OK {
			rep.Failed = append(rep.Failed, r.Target)
		}
	}
	if f.asJSON {
		writeJSON(c.stdout, rep)
	} else {
		c.printTable(rep)
	}
	if len(rep.Failed) > 0 {
		return exitTargets
	}
	return exitOK
}

// printTable prints the results as a table and a summary line.
func (c *cli) printTable(rep fleetReport) {
	tw := tabwriter.NewWriter(c.stdout, 2, 8, 2, ' ', 0)
	status := rep.Command == "status"
	if status {
		fmt.Fprintln(tw, "TARGET\tRESULT\tINSTANCE\tARMED\tGEN\tKILL SWITCH\tSOURCE")
	} else {
		fmt.Fprintln(tw, "TARGET\tRESULT\tGEN\tKILL SWITCH\tPLAN")
	}
	for _, r := range rep.Results {
		res := "ok"
		if !r.OK {
			res = "FAILED"
		}
		gen, kill, detail := "-", "-", r.Error
		var instance, armed string = "-", "-"
		switch {
		case r.Status != nil:
			gen = strconv.FormatUint(r.Status.Generation, 10)
			kill = killText(r.Status.KillSwitch)
			instance, armed = r.Status.Instance, strconv.FormatBool(r.Status.Armed)
		case r.State != nil:
			gen = strconv.FormatUint(r.State.Generation, 10)
			kill = killText(r.State.KillSwitch)
			if detail == "" {
				detail = orNone(r.State.Text)
			}
		}
		if detail == "" && r.Status != nil {
			detail = orNone(r.Status.Source)
		}
		if status {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Target, res, instance, armed, gen, kill, oneLine(detail))
		} else {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", r.Target, res, gen, kill, oneLine(detail))
		}
	}
	tw.Flush()
	n := len(rep.Results)
	fmt.Fprintf(c.stdout, "\n%d of %d %s confirmed", n-len(rep.Failed), n, plural(n, "target", "targets"))
	if len(rep.Failed) > 0 {
		fmt.Fprintf(c.stdout, "; did not confirm: %s", strings.Join(rep.Failed, " "))
	}
	fmt.Fprintln(c.stdout)
}

// killText shows the kill switch in a cell: "off", or "thrown (REASON)".
func killText(k chaos.KillSwitch) string {
	if !k.Disabled {
		return "off"
	}
	if k.DisabledReason == "" {
		return "thrown"
	}
	return "thrown (" + k.DisabledReason + ")"
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

// oneLine keeps a table cell on one line.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// fail returns the result of a failed call. Its error is the handler's
// answer, or what kept the request from getting one, without the URL the
// table shows already.
func fail(err error) result {
	var ae *admin.APIError
	var ue *url.Error
	switch {
	case errors.As(err, &ae):
		return result{Error: ae.Error()}
	case errors.As(err, &ue):
		return result{Error: ue.Err.Error()}
	}
	return result{Error: err.Error()}
}

var statusCmd = &command{
	name:  "status",
	args:  "-target URL... | -targets FILE [flags]",
	short: "show the state of admin endpoints",
	help: `Status reads api/status from every target at once and prints a table:
whether each answered, its instance, whether a rule may fire there (ARMED),
its generation, its kill switch and where its plan came from. The exit code
is 3 when a target did not answer.

examples:
  export FAULTLINE_TOKEN=...
  faultline status -target http://10.0.0.7:8080/debug/faultline/
  faultline status -targets fleet.txt -json | jq '.results[].status.armed'`,
	flags: func(c *cli, fs *flag.FlagSet) func([]string) int {
		f := addFleetFlags(fs)
		return func(args []string) int {
			if len(args) != 0 {
				fs.Usage()
				return exitUsage
			}
			return c.fleet("status", f, func(ctx context.Context, cl *admin.Client) result {
				st, err := cl.Status(ctx)
				if err != nil {
					return fail(err)
				}
				return result{OK: true, Status: &st}
			})
		}
	},
}

var applyCmd = &command{
	name:  "apply",
	args:  "-target URL... | -targets FILE [-if-generation N] [flags] PLAN",
	short: "apply a plan on admin endpoints",
	help: `Apply checks PLAN (a file, "-" for standard input, or the plan text) here
first, then applies it on every target at once (PUT api/plan) and prints
each target's new state. With -if-generation N a target applies the plan
only if its engine is still at generation N (read it with faultline
status), so that the plan never overwrites a change made since: for one
target, or a fleet known to be at one generation. A target's kill switch
refuses every plan until it is re-armed. The exit code is 1 for a plan
with problems (nothing is sent), 3 when a target did not apply it.

examples:
  faultline apply -target http://svc:8080/debug/faultline/ 'db.query=5%error(timeout)'
  faultline apply -targets fleet.txt plan.json
  faultline apply -target http://svc:8080/debug/faultline/ -if-generation 12 plan.txt
  faultline apply -targets fleet.txt ''      (switch every fault off)`,
	flags: func(c *cli, fs *flag.FlagSet) func([]string) int {
		f := addFleetFlags(fs)
		var ifGen *uint64
		fs.Func("if-generation", "apply only on a target still at generation `N`", func(s string) error {
			n, err := strconv.ParseUint(s, 10, 64)
			if err != nil {
				return fmt.Errorf("%q is not a generation", s)
			}
			ifGen = &n
			return nil
		})
		return func(args []string) int {
			if len(args) != 1 {
				fs.Usage()
				return exitUsage
			}
			_, p, code := c.plan(args[0])
			if code != exitOK {
				return code
			}
			return c.fleet("apply", f, func(ctx context.Context, cl *admin.Client) result {
				var st admin.PlanState
				var err error
				if ifGen != nil {
					st, err = cl.ApplyIf(ctx, p, *ifGen)
				} else {
					st, err = cl.Apply(ctx, p)
				}
				if err != nil {
					return fail(err)
				}
				return result{OK: true, State: &st}
			})
		}
	},
}

var killCmd = &command{
	name:  "kill",
	args:  "-target URL... | -targets FILE [flags]",
	short: "throw the kill switch of admin endpoints",
	help: `Kill throws the kill switch of every target at once (POST api/kill): no
fault fires there, and no plan applies, until someone re-arms it. It
returns within one -timeout (5s by default) whatever the targets do, and
lists those that did not confirm (no answer, an error, or an answer that
does not show the kill switch thrown); the exit code is then 3. -reason
says why, and each engine records it after the client's address.

examples:
  FAULTLINE_TOKEN=... faultline kill -targets fleet.txt -reason "INC-1234: checkout errors"
  faultline kill -token-file /run/secrets/faultline -target https://svc.example/debug/faultline/ -timeout 2s`,
	flags: func(c *cli, fs *flag.FlagSet) func([]string) int {
		f := addFleetFlags(fs)
		reason := fs.String("reason", "", "say why, as `TEXT` the engines record (at most 256 bytes)")
		return func(args []string) int {
			if len(args) != 0 {
				fs.Usage()
				return exitUsage
			}
			return c.fleet("kill", f, func(ctx context.Context, cl *admin.Client) result {
				st, err := cl.Kill(ctx, *reason)
				if err != nil {
					return fail(err)
				}
				r := result{OK: st.Disabled, State: &st}
				if !st.Disabled {
					r.Error = "the answer does not show the kill switch thrown"
				}
				return r
			})
		}
	},
}

var rearmCmd = &command{
	name:  "rearm",
	args:  "-target URL... | -targets FILE [flags]",
	short: "re-arm admin endpoints after the kill switch",
	help: `Rearm re-arms every target at once (POST api/rearm): plans may apply again.
It applies no plan itself; the plan killed stays off until applied again.
The exit code is 3 when a target did not confirm.

examples:
  faultline rearm -targets fleet.txt
  faultline rearm -target http://svc:8080/debug/faultline/ && faultline apply -target http://svc:8080/debug/faultline/ plan.txt`,
	flags: func(c *cli, fs *flag.FlagSet) func([]string) int {
		f := addFleetFlags(fs)
		return func(args []string) int {
			if len(args) != 0 {
				fs.Usage()
				return exitUsage
			}
			return c.fleet("rearm", f, func(ctx context.Context, cl *admin.Client) result {
				st, err := cl.Rearm(ctx)
				if err != nil {
					return fail(err)
				}
				// An engine that was not killed records no re-arming, so
				// an answer without the kill switch thrown is all there is
				// to confirm.
				r := result{OK: !st.Disabled, State: &st}
				if st.Disabled {
					r.Error = "the answer shows the kill switch still thrown"
				}
				return r
			})
		}
	},
}
