package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/faultline-go/faultline/chaos"
)

// fleetOf starts n services and returns them and a -targets file listing
// them.
func fleetOf(t *testing.T, n int) ([]*service, string) {
	t.Helper()
	var svcs []*service
	var list strings.Builder
	list.WriteString("# test fleet\n")
	for i := range n {
		s := newService(t, "i-"+string(rune('a'+i)))
		svcs = append(svcs, s)
		list.WriteString(s.url + "\n\n")
	}
	return svcs, writeFile(t, "fleet.txt", list.String())
}

// decodeFleet decodes the -json output of an admin command.
func decodeFleet(t *testing.T, o out) fleetReport {
	t.Helper()
	var rep fleetReport
	if err := json.Unmarshal([]byte(o.stdout), &rep); err != nil {
		t.Fatalf("%v: stdout %s stderr %s", err, o.stdout, o.stderr)
	}
	return rep
}

// TestFleet drives three real admin handlers through apply, status, kill
// and rearm, and checks each step on the engines themselves.
func TestFleet(t *testing.T) {
	svcs, list := fleetOf(t, 3)
	plan := "db.query=5%error(timeout)"

	o := runCLI(t, tokenEnvOf, "", "apply", "-targets", list, plan)
	if o.code != exitOK || !strings.Contains(o.stdout, "3 of 3 targets confirmed") {
		t.Fatalf("apply: exit %d\n%s%s", o.code, o.stdout, o.stderr)
	}
	for _, s := range svcs {
		if act := s.e.Active(); act.Plan.String() != plan || act.Source != "admin" {
			t.Errorf("%s: plan %q from %q after apply", s.url, act.Plan, act.Source)
		}
	}

	o = runCLI(t, tokenEnvOf, "", "status", "-json", "-targets", list)
	rep := decodeFleet(t, o)
	if o.code != exitOK || len(rep.Results) != 3 || len(rep.Failed) != 0 {
		t.Fatalf("status: exit %d, %+v", o.code, rep)
	}
	for i, r := range rep.Results {
		if r.Target != svcs[i].url || !r.OK || r.Status == nil || r.Status.Instance != svcs[i].e.Instance() || !r.Status.Armed || r.Status.Generation != svcs[i].e.Active().Generation {
			t.Errorf("status of %s: %+v", svcs[i].url, r)
		}
	}

	o = runCLI(t, tokenEnvOf, "", "kill", "-targets", list, "-reason", "INC-7: checkout errors")
	if o.code != exitOK || !strings.Contains(o.stdout, "thrown (admin: 127.0.0.1: INC-7: checkout errors)") {
		t.Fatalf("kill: exit %d\n%s%s", o.code, o.stdout, o.stderr)
	}
	for _, s := range svcs {
		if !s.e.Disabled() || s.e.Active().DisabledReason != "admin: 127.0.0.1: INC-7: checkout errors" {
			t.Errorf("%s: after kill: disabled %v, reason %q", s.url, s.e.Disabled(), s.e.Active().DisabledReason)
		}
	}

	// While killed, apply is refused by every target.
	o = runCLI(t, tokenEnvOf, "", "apply", "-targets", list, "db.query=abort")
	if o.code != exitTargets || !strings.Contains(o.stdout, "409 Conflict") || !strings.Contains(o.stdout, "0 of 3 targets confirmed") {
		t.Errorf("apply while killed: exit %d\n%s", o.code, o.stdout)
	}

	o = runCLI(t, tokenEnvOf, "", "rearm", "-targets", list)
	if o.code != exitOK {
		t.Fatalf("rearm: exit %d\n%s%s", o.code, o.stdout, o.stderr)
	}
	// Re-arming an engine that is not killed confirms too.
	o = runCLI(t, tokenEnvOf, "", "rearm", "-target", newService(t, "fresh").url)
	if o.code != exitOK {
		t.Fatalf("rearm of an engine never killed: exit %d\n%s%s", o.code, o.stdout, o.stderr)
	}
	for _, s := range svcs {
		if s.e.Disabled() {
			t.Errorf("%s: still disabled after rearm", s.url)
		}
	}
}

// TestStatusTable checks the table status prints, whole: the instance
// whose share of instances leaves it out is not armed.
func TestStatusTable(t *testing.T) {
	s := newService(t, "web-1")
	if err := s.e.Apply(chaos.MustParsePlan("db.query=error[instances=0%]"), chaos.FromSource("test")); err != nil {
		t.Fatal(err)
	}
	o := runCLI(t, tokenEnvOf, "", "status", "-target", s.url)
	gen := s.e.Active().Generation
	want := "TARGET" + strings.Repeat(" ", len(s.url)-6+2) + "RESULT  INSTANCE  ARMED  GEN  KILL SWITCH  SOURCE\n" +
		s.url + "  ok      web-1     false  " + itoa(gen) + "    off          test\n" +
		"\n1 of 1 target confirmed\n"
	if o.code != exitOK || o.stdout != want {
		t.Errorf("exit %d\n%s\nwant\n%s", o.code, o.stdout, want)
	}
}

func itoa(n uint64) string { return strconv.FormatUint(n, 10) }

// TestApplyIfGeneration checks -if-generation: the plan applies at the
// generation read, and not once it is stale.
func TestApplyIfGeneration(t *testing.T) {
	s := newService(t, "web-1")
	gen := s.e.Active().Generation
	o := runCLI(t, tokenEnvOf, "", "apply", "-target", s.url, "-if-generation", itoa(gen), "a=error")
	if o.code != exitOK || s.e.Plan().String() != "a=error" {
		t.Fatalf("apply at the current generation: exit %d, plan %q\n%s", o.code, s.e.Plan(), o.stdout)
	}
	o = runCLI(t, tokenEnvOf, "", "apply", "-target", s.url, "-if-generation", itoa(gen), "b=error")
	if o.code != exitTargets || !strings.Contains(o.stdout, "412 Precondition Failed") || s.e.Plan().String() != "a=error" {
		t.Errorf("apply at a stale generation: exit %d, plan %q\n%s", o.code, s.e.Plan(), o.stdout)
	}
}

// TestApplyChecksFirst checks that apply sends nothing for a plan with
// problems, and that a target's policy refusal fails that target only.
func TestApplyChecksFirst(t *testing.T) {
	lax := newService(t, "lax")
	strict := newService(t, "strict", chaos.WithPolicy(chaos.ProductionPolicy()))
	o := runCLI(t, tokenEnvOf, "", "apply", "-target", lax.url, "a=explode")
	if o.code != exitInvalid || !strings.Contains(o.stderr, "plan: rules[0]: ") || lax.h.Counters().Rejected != 0 {
		t.Errorf("invalid plan: exit %d, stderr %q, rejected %d; want 1 and nothing sent", o.code, o.stderr, lax.h.Counters().Rejected)
	}
	o = runCLI(t, tokenEnvOf, "", "apply", "-json", "-target", lax.url, "-target", strict.url, "a=panic(x)")
	rep := decodeFleet(t, o)
	if o.code != exitTargets || len(rep.Failed) != 1 || rep.Failed[0] != strict.url || !rep.Results[0].OK || !strings.Contains(rep.Results[1].Error, "refused by policy") {
		t.Errorf("exit %d, %+v; want the strict target failed", o.code, rep)
	}
}

// TestKillReturnsWithinTimeout checks that kill returns within about one
// timeout when targets never answer, however many, lists them as not
// confirmed, and still kills the others.
func TestKillReturnsWithinTimeout(t *testing.T) {
	release := make(chan struct{})
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer hang.Close()
	defer close(release)
	a, b := newService(t, "a"), newService(t, "b")
	const timeout = time.Second
	args := []string{"kill", "-timeout", timeout.String(), "-target", a.url}
	var hung []string
	for i := range 3 {
		u := hang.URL + "/" + strconv.Itoa(i) + "/"
		hung = append(hung, u)
		args = append(args, "-target", u)
	}
	args = append(args, "-target", b.url)
	start := time.Now()
	o := runCLI(t, tokenEnvOf, "", args...)
	took := time.Since(start)
	if o.code != exitTargets || !strings.Contains(o.stdout, "2 of 5 targets confirmed; did not confirm: "+strings.Join(hung, " ")) {
		t.Errorf("exit %d\n%s", o.code, o.stdout)
	}
	if !a.e.Disabled() || !b.e.Disabled() {
		t.Error("a target that answered was not killed")
	}
	if took < timeout || took > 2*timeout+timeout/2 {
		t.Errorf("kill took %v with 3 targets that never answer; want about one timeout, %v", took, timeout)
	}
}

// TestKillNotConfirmed checks that an answer that does not show the kill
// switch thrown (here from a catch-all proxy that answers 200 to
// anything) is not taken for a confirmation.
func TestKillNotConfirmed(t *testing.T) {
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"status":"ok"}`))
	}))
	defer proxy.Close()
	o := runCLI(t, tokenEnvOf, "", "kill", "-target", proxy.URL)
	if o.code != exitTargets || !strings.Contains(o.stdout, "the answer does not show the kill switch thrown") {
		t.Errorf("exit %d\n%s", o.code, o.stdout)
	}
}

// TestToken checks where the token comes from: the environment or a
// file, never a flag, and is required.
func TestToken(t *testing.T) {
	s := newService(t, "web-1")
	good := writeFile(t, "token", testToken+"\n")
	empty := writeFile(t, "empty", "\n")
	twoLines := writeFile(t, "two", "a\nb\n")
	tests := []struct {
		name    string
		env     map[string]string
		args    []string
		code    int
		wantErr string
	}{
		{name: "environment", env: tokenEnvOf, code: exitOK},
		{name: "file", args: []string{"-token-file", good}, code: exitOK},
		{name: "file wins over the environment", env: map[string]string{tokenEnv: "wrong"}, args: []string{"-token-file", good}, code: exitOK},
		{name: "none", code: exitUsage, wantErr: "no token: set $FAULTLINE_TOKEN or pass -token-file FILE"},
		{name: "wrong", env: map[string]string{tokenEnv: "wrong"}, code: exitTargets},
		{name: "empty file", args: []string{"-token-file", empty}, code: exitUsage, wantErr: "want one token on one line"},
		{name: "two lines", args: []string{"-token-file", twoLines}, code: exitUsage, wantErr: "want one token on one line"},
		{name: "missing file", args: []string{"-token-file", "/nonexistent/token"}, code: exitUsage, wantErr: "no such file"},
		{name: "no -token flag", args: []string{"-token", testToken}, code: exitUsage, wantErr: "not defined: -token"},
		{name: "no target", env: tokenEnvOf, args: []string{"-target"}, code: exitUsage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"status", "-target", s.url}, tt.args...)
			o := runCLI(t, tt.env, "", args...)
			if o.code != tt.code || !strings.Contains(o.stderr, tt.wantErr) {
				t.Errorf("exit %d (want %d), stderr %q (want %q)\n%s", o.code, tt.code, o.stderr, tt.wantErr, o.stdout)
			}
		})
	}
	o := runCLI(t, tokenEnvOf, "", "status")
	if o.code != exitUsage || !strings.Contains(o.stderr, "no target") {
		t.Errorf("status without a target: exit %d, %q", o.code, o.stderr)
	}
	o = runCLI(t, tokenEnvOf, "", "status", "-target", "svc:8080")
	if o.code != exitTargets || !strings.Contains(o.stdout, "not an absolute http") {
		t.Errorf("status of a bad URL: exit %d, %q", o.code, o.stdout)
	}
}

// TestPlainHTTPWarning checks that the token sent over plain http to a
// host other than loopback draws a warning.
func TestPlainHTTPWarning(t *testing.T) {
	for _, tt := range []struct {
		target string
		warn   bool
	}{
		{"http://127.0.0.1:1/", false},
		{"http://localhost:1/", false},
		{"http://[::1]:1/", false},
		{"https://192.0.2.1:1/", false},
		{"http://192.0.2.1:1/", true},
	} {
		var so, se strings.Builder
		c := &cli{stdout: &so, stderr: &se}
		c.warnPlainHTTP(tt.target)
		if got := strings.Contains(se.String(), "unencrypted"); got != tt.warn {
			t.Errorf("%s: warned %v, want %v", tt.target, got, tt.warn)
		}
	}
}
