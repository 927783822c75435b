package main

import (
	"bytes"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/chaos/admin"
	"go.uber.org/goleak"
)

// asCommand, set in the environment, makes the test binary run the
// command itself: TestSubprocess runs it so, as a real process.
const asCommand = "FAULTLINE_TEST_AS_COMMAND"

func TestMain(m *testing.M) {
	if os.Getenv(asCommand) == "1" {
		main()
		return
	}
	goleak.VerifyTestMain(m)
}

const testToken = "s3cret-token-for-tests-0123456789"

// out is what one run of the command printed, and its exit code.
type out struct {
	code           int
	stdout, stderr string
}

// runCLI runs the command with args, the environment env (and nothing
// else of the process's) and stdin.
func runCLI(t *testing.T, env map[string]string, stdin string, args ...string) out {
	t.Helper()
	var so, se bytes.Buffer
	c := &cli{stdin: strings.NewReader(stdin), stdout: &so, stderr: &se, getenv: func(k string) string { return env[k] }}
	code := c.run(args)
	return out{code, so.String(), se.String()}
}

// tokenEnvOf is the environment with the test token.
var tokenEnvOf = map[string]string{tokenEnv: testToken}

// service is a real admin handler of a seeded engine, mounted under
// /debug/faultline/ on a loopback server.
type service struct {
	e   *chaos.Engine
	h   *admin.Handler
	srv *httptest.Server
	url string // where the handler is mounted
}

// newService starts a service whose engine has instance id, closed at
// cleanup.
func newService(t *testing.T, instance string, opts ...chaos.Option) *service {
	t.Helper()
	e := chaos.New(append([]chaos.Option{chaos.WithSeed(1), chaos.WithInstance(instance)}, opts...)...)
	h := admin.New(e, admin.WithToken(testToken))
	mux := http.NewServeMux()
	mux.Handle("/debug/faultline/", http.StripPrefix("/debug/faultline", h))
	srv := httptest.NewServer(mux)
	t.Cleanup(func() {
		srv.Close()
		h.Close()
	})
	return &service{e: e, h: h, srv: srv, url: srv.URL + "/debug/faultline/"}
}

// writeFile writes content to a file named name in a fresh directory and
// returns its path.
func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestSubprocess runs the command as a real process (the test binary,
// re-executed) and checks its exit codes and output: on a plan, on a bad
// command line, and against a real admin handler, whose token it reads
// from the process's environment.
func TestSubprocess(t *testing.T) {
	svc := newService(t, "sub-1")
	if err := svc.e.Apply(chaos.MustParsePlan("db.query=error")); err != nil {
		t.Fatal(err)
	}
	plan := writeFile(t, "plan.txt", "db.query = 10% delay(200ms)\n")
	tests := []struct {
		name     string
		args     []string
		env      []string
		stdin    string
		want     int
		wantOut  string
		disabled bool // the service's kill switch afterwards
	}{
		{name: "no command", want: exitUsage},
		{name: "valid plan file", args: []string{"validate", plan}, want: exitOK, wantOut: "plan.txt: valid, 1 rule"},
		{name: "invalid plan on stdin", args: []string{"validate", "-"}, stdin: "a=error;b=2*explode", want: exitInvalid, wantOut: "stdin: rules[1]: "},
		{name: "fmt", args: []string{"fmt", plan}, want: exitOK, wantOut: "db.query=10%delay(200ms)\n"},
		{name: "status without token", args: []string{"status", "-target", svc.url}, want: exitUsage},
		{name: "status", args: []string{"status", "-target", svc.url}, env: []string{tokenEnv + "=" + testToken}, want: exitOK, wantOut: "sub-1"},
		{name: "kill", args: []string{"kill", "-target", svc.url}, env: []string{tokenEnv + "=" + testToken}, want: exitOK, wantOut: "1 of 1 target confirmed", disabled: true},
		{name: "kill a dead target", args: []string{"kill", "-target", svc.url, "-target", "http://127.0.0.1:1/"}, env: []string{tokenEnv + "=" + testToken}, want: exitTargets, wantOut: "did not confirm: http://127.0.0.1:1/", disabled: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd := exec.CommandContext(t.Context(), os.Args[0], tt.args...)
			cmd.Env = append([]string{asCommand + "=1", "PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}, tt.env...)
			cmd.Stdin = strings.NewReader(tt.stdin)
			var so, se bytes.Buffer
			cmd.Stdout, cmd.Stderr = &so, &se
			err := cmd.Run()
			code := 0
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				code = ee.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			if code != tt.want || !strings.Contains(so.String(), tt.wantOut) {
				t.Fatalf("faultline %q: exit %d, want %d with %q in stdout\nstdout: %s\nstderr: %s", tt.args, code, tt.want, tt.wantOut, so.String(), se.String())
			}
			if svc.e.Disabled() != tt.disabled {
				t.Errorf("kill switch thrown: %v, want %v", svc.e.Disabled(), tt.disabled)
			}
		})
	}
}

// TestUsage checks the help and the handling of bad command lines.
func TestUsage(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		want       int
		wantStdout string
		wantStderr string
	}{
		{name: "none", want: exitUsage, wantStderr: "usage: faultline COMMAND"},
		{name: "help", args: []string{"help"}, want: exitOK, wantStdout: "replay-check"},
		{name: "help lists exit codes", args: []string{"-h"}, want: exitOK, wantStdout: "3 some targets failed"},
		{name: "help of a command", args: []string{"help", "kill"}, want: exitOK, wantStdout: "-timeout D"},
		{name: "help of no command", args: []string{"help", "nope"}, want: exitUsage, wantStderr: `no command "nope"`},
		{name: "-h of a command", args: []string{"apply", "-h"}, want: exitOK, wantStdout: "-if-generation N"},
		{name: "unknown command", args: []string{"frobnicate"}, want: exitUsage, wantStderr: `no command "frobnicate"`},
		{name: "unknown flag", args: []string{"fmt", "-x", "a=error"}, want: exitUsage, wantStderr: "run faultline help fmt"},
		{name: "missing argument", args: []string{"fmt"}, want: exitUsage, wantStderr: "usage: faultline fmt PLAN"},
		{name: "extra argument", args: []string{"fmt", "a=error", "b=error"}, want: exitUsage, wantStderr: "usage: faultline fmt"},
		{name: "bad generation", args: []string{"apply", "-if-generation", "x", "a=error"}, want: exitUsage, wantStderr: `"x" is not a generation`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := runCLI(t, nil, "", tt.args...)
			if o.code != tt.want || !strings.Contains(o.stdout, tt.wantStdout) || !strings.Contains(o.stderr, tt.wantStderr) {
				t.Errorf("faultline %q: exit %d, want %d\nstdout (want %q): %s\nstderr (want %q): %s", tt.args, o.code, tt.want, tt.wantStdout, o.stdout, tt.wantStderr, o.stderr)
			}
		})
	}
}

func TestParseInterspersed(t *testing.T) {
	tests := []struct {
		args     []string
		wantPos  []string
		wantJSON bool
		wantPol  string
	}{
		{args: []string{"-json", "p"}, wantPos: []string{"p"}, wantJSON: true},
		{args: []string{"p", "-json"}, wantPos: []string{"p"}, wantJSON: true},
		{args: []string{"p", "-policy", "f", "q"}, wantPos: []string{"p", "q"}, wantPol: "f"},
		{args: []string{"-", "-json"}, wantPos: []string{"-"}, wantJSON: true},
		{args: []string{"--", "-json"}, wantPos: []string{"-json"}},
		{args: []string{"p", "--", "-json", "q"}, wantPos: []string{"p", "-json", "q"}},
		{args: nil, wantPos: nil},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			c := &cli{}
			fs := c.flagSet(validateCmd, &bytes.Buffer{})
			asJSON := fs.Bool("json", false, "")
			pol := fs.String("policy", "", "")
			pos, err := parseInterspersed(fs, tt.args)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(pos, "|") != strings.Join(tt.wantPos, "|") || *asJSON != tt.wantJSON || *pol != tt.wantPol {
				t.Errorf("positional %q json %v policy %q; want %q %v %q", pos, *asJSON, *pol, tt.wantPos, tt.wantJSON, tt.wantPol)
			}
		})
	}
}
