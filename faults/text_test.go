package faults_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/faultline-go/faultline/faults"
)

func TestParseFault(t *testing.T) {
	tests := []struct {
		in   string
		want faults.Fault
		text string // what AppendText writes back; "" means in
	}{
		{"delay(200ms)", faults.Latency(200 * time.Millisecond), ""},
		{"delay(1m30s)", faults.Latency(90 * time.Second), "delay(1m30s)"},
		{"delay(1s,250ms)", faults.LatencyJitter(time.Second, 250*time.Millisecond), ""},
		{"  delay ( 1s , 2ms )  ", faults.LatencyJitter(time.Second, 2*time.Millisecond), "delay(1s,2ms)"},
		{"latency(5s)", faults.Latency(5 * time.Second), "delay(5s)"},
		{"error", faults.Error(""), ""},
		{"error()", faults.Error(""), "error"},
		{"error(timeout)", faults.Error("timeout"), ""},
		{"error( spaced out )", faults.Error("spaced out"), "error(spaced out)"},
		{`error("timeout")`, faults.Error("timeout"), "error(timeout)"},
		{`error("a, b")`, faults.Error("a, b"), ""},
		{`error("50%")`, faults.Error("50%"), ""},
		{`error(" lead")`, faults.Error(" lead"), ""},
		{`error("tab\there")`, faults.Error("tab\there"), ""},
		{`error("say \"hi\"")`, faults.Error(`say "hi"`), ""},
		{`error("back\\slash")`, faults.Error(`back\slash`), ""},
		{`error("\xff")`, faults.Error("\xff"), ""},
		{"error(héllo wörld)", faults.Error("héllo wörld"), ""},
		{"error(it's)", faults.Error("it's"), ""},
		{"error(boom,503)", faults.Fault{Kind: faults.KindError, Message: "boom", Code: 503}, ""},
		{`error("",503)`, faults.Fault{Kind: faults.KindError, Code: 503}, ""},
		{"error(,503)", faults.Fault{Kind: faults.KindError, Code: 503}, `error("",503)`},
		{"panic", faults.Panic(""), ""},
		{"panic(oops)", faults.Panic("oops"), ""},
		{`panic("(x)")`, faults.Panic("(x)"), ""},
		{"hang", faults.Hang(), ""},
		{"hang(30s)", faults.HangFor(30 * time.Second), ""},
		{" hang ( 1m30s ) ", faults.HangFor(90 * time.Second), "hang(1m30s)"},
		{`hang("2s")`, faults.HangFor(2 * time.Second), "hang(2s)"},
		{"hang(0s)", faults.Hang(), "hang"}, // zero is the default bound
		{"status(200)", faults.HTTPStatus(200, ""), ""},
		{"error(x,200)", faults.Fault{Kind: faults.KindError, Message: "x", Code: 200}, ""},
		{"status(503)", faults.HTTPStatus(503, ""), ""},
		{"status(429,slow down)", faults.HTTPStatus(429, "slow down"), ""},
		{`status(500,"{\"error\":1}")`, faults.HTTPStatus(500, `{"error":1}`), ""},
		{"abort", faults.Abort(), ""},
		{"badconn", faults.BadConn(), ""},
		{"corrupt", faults.Corrupt(), ""},
		{"pause", faults.Pause(), ""},
		{"pause(30s)", faults.PauseFor(30 * time.Second), ""},
		{"squeeze(10ms)", faults.Squeeze(10 * time.Millisecond), ""},
		{"squeeze(0s)", faults.Cancel(), "cancel"},
		{"cancel", faults.Cancel(), ""},
		{"custom(faultstest.fake)", faults.Custom("faultstest.fake"), ""},
		{"faultstest.fake", faults.Custom("faultstest.fake"), "custom(faultstest.fake)"},
		{"delay(normal(200ms,50ms))", faults.Fault{Kind: faults.KindLatency, Dist: faults.Normal, Delay: 200 * time.Millisecond, Jitter: 50 * time.Millisecond}, ""},
		{"delay(lognormal(100ms,0.5))", faults.Fault{Kind: faults.KindLatency, Dist: faults.LogNormal, Delay: 100 * time.Millisecond, Shape: 0.5}, ""},
		{"delay( pareto( 50ms , 1.5 , 2s ) )", faults.Fault{Kind: faults.KindLatency, Dist: faults.Pareto, Delay: 50 * time.Millisecond, Shape: 1.5, Max: 2 * time.Second}, "delay(pareto(50ms,1.5,2s))"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := faults.ParseFault(tt.in)
			if err != nil {
				t.Fatalf("ParseFault(%q) = %v", tt.in, err)
			}
			if got != tt.want {
				t.Fatalf("ParseFault(%q) = %+v, want %+v", tt.in, got, tt.want)
			}
			text := tt.text
			if text == "" {
				text = tt.in
			}
			if s := string(got.AppendText(nil)); s != text {
				t.Errorf("AppendText = %q, want %q", s, text)
			}
			if s := got.String(); s != text {
				t.Errorf("String = %q, want %q", s, text)
			}
			back, err := faults.ParseFault(text)
			if err != nil || back != got {
				t.Errorf("ParseFault(%q) = %+v, %v; want %+v", text, back, err, got)
			}
		})
	}
}

func TestParseFaultErrors(t *testing.T) {
	const kinds = " (want delay, error, panic, hang, pause, squeeze, cancel, status, abort, badconn, corrupt or custom(NAME))"
	tests := []struct {
		in   string
		want string
	}{
		{"", `fault "": unknown fault ""` + kinds},
		{"explode", `fault "explode": unknown fault "explode"` + kinds},
		{"Error(x)", `fault "Error(x)": unknown fault "Error"` + kinds},
		{"none", `fault "none": unknown fault "none"` + kinds},
		{"delay", `fault "delay": delay needs a duration, as in delay(200ms)`},
		{"delay(2x)", `fault "delay(2x)": "2x" is not a duration`},
		{"delay(1s,soon)", `fault "delay(1s,soon)": "soon" is not a duration`},
		{"delay(1s", `fault "delay(1s": missing )`},
		{"delay(1s)x", `fault "delay(1s)x": missing )`},
		{"delay(-1s)", `fault "delay(-1s)": delay: -1s is negative`},
		{"delay(0s)", `fault "delay(0s)": delay: a latency fault needs a delay`},
		{"delay(1s,2s,3s)", `fault "delay(1s,2s,3s)": delay takes at most 2 arguments`},
		{"panic(a,b)", `fault "panic(a,b)": panic takes at most one argument`},
		{"error(a,500,x)", `fault "error(a,500,x)": error takes at most 2 arguments`},
		{"error(a,abc)", `fault "error(a,abc)": "abc" is not a status code`},
		{"error(a,1000)", `fault "error(a,1000)": code: 1000 is not an HTTP status in [200,999]`},
		{"status", `fault "status": status needs a code, as in status(503)`},
		{"status(abc)", `fault "status(abc)": "abc" is not a status code`},
		{"status(99)", `fault "status(99)": code: 99 is not an HTTP status in [200,999]`},
		{"status(100)", `fault "status(100)": code: 100 is not an HTTP status in [200,999]`},
		{"status(199,early)", `fault "status(199,early)": code: 199 is not an HTTP status in [200,999]`},
		{"error(x,101)", `fault "error(x,101)": code: 101 is not an HTTP status in [200,999]`},
		{"hang()", `fault "hang()": hang takes a duration, as in hang(30s), or no parentheses`},
		{"hang(soon)", `fault "hang(soon)": "soon" is not a duration`},
		{"hang(-1s)", `fault "hang(-1s)": delay: -1s is negative`},
		{"hang(1s,2s)", `fault "hang(1s,2s)": hang takes at most one argument`},
		{"hang(1s", `fault "hang(1s": missing )`},
		{"error(" + strings.Repeat("x", 100) + ",abc)",
			`fault "error(` + strings.Repeat("x", 58) + `"...: "abc" is not a status code`},
		{"delay(" + strings.Repeat("9", 100) + "h)",
			`fault "delay(` + strings.Repeat("9", 58) + `"...: "` + strings.Repeat("9", 64) + `"... is not a duration`},
		{strings.Repeat("z", 100), `fault "` + strings.Repeat("z", 64) + `"...: unknown fault "` + strings.Repeat("z", 64) + `"...` + kinds},
		{"abort(now)", `fault "abort(now)": abort takes no arguments`},
		{"badconn(1)", `fault "badconn(1)": badconn takes no arguments`},
		{`error("open)`, `fault "error(\"open)": unterminated quoted string`},
		{`error(a"b)`, `fault "error(a\"b)": unterminated quoted string`},
		{`error(a"b")`, `fault "error(a\"b\")": stray quote in "a\"b\""`},
		{`error("a" "b")`, `fault "error(\"a\" \"b\")": bad quoted string "a" "b"`},
		{"error(a))", `fault "error(a))": unbalanced )`},
		{"error((a)", `fault "error((a)": unbalanced brackets`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			f, err := faults.ParseFault(tt.in)
			if err == nil {
				t.Fatalf("ParseFault(%q) = %+v, want an error", tt.in, f)
			}
			if err.Error() != tt.want {
				t.Errorf("ParseFault(%q) error\n got: %s\nwant: %s", tt.in, err, tt.want)
			}
			if !f.IsZero() {
				t.Errorf("ParseFault(%q) returned %+v with its error", tt.in, f)
			}
		})
	}
}

func TestMarshalText(t *testing.T) {
	b, err := faults.Latency(time.Second).MarshalText()
	if err != nil || string(b) != "delay(1s)" {
		t.Errorf("MarshalText = %q, %v", b, err)
	}
	if _, err := (faults.Fault{}).MarshalText(); err == nil {
		t.Error("MarshalText of the zero Fault succeeded")
	}
	var f faults.Fault
	if err := f.UnmarshalText([]byte("status(503)")); err != nil || f != faults.HTTPStatus(503, "") {
		t.Errorf("UnmarshalText = %+v, %v", f, err)
	}
	if err := f.UnmarshalText([]byte("bogus")); err == nil || f != faults.HTTPStatus(503, "") {
		t.Errorf("failed UnmarshalText = %v and changed the fault to %+v", err, f)
	}
}

// FuzzParseFault checks that ParseFault never panics, and that what it
// accepts is valid and survives the text and JSON forms unchanged.
func FuzzParseFault(f *testing.F) {
	for _, s := range []string{
		"delay(200ms)", "delay(1s,250ms)", "error", "error(timeout)", `error("a, b",503)`,
		"panic(oops)", "hang", "status(503)", `status(429,"slow down")`, "abort", "badconn",
		"corrupt", `error("\xff")`, "error((a))", "delay(1s", `error("`, "status(1e3)", "",
		"hang(30s)", "hang(0s)", "hang()", "hang(-1s)", "status(100)", "error(x,199)",
		"pause", "pause(1s)", "squeeze(10ms)", "cancel", "cancel()", "squeeze", "custom(faultstest.fake)",
		"faultstest.fake", "custom(nope)", "delay(normal(200ms,50ms))", "delay(lognormal(100ms,0.5,1s))",
		"delay(pareto(50ms,1.5))", "delay(pareto(50ms,NaN))", "delay(pareto(0s,1))", "delay(normal(1s,1s),2s)",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := faults.ParseFault(s)
		if err != nil {
			if !v.IsZero() {
				t.Fatalf("ParseFault(%q) failed with a non-zero fault %+v", s, v)
			}
			return
		}
		if err := v.Validate(); err != nil {
			t.Fatalf("ParseFault(%q) = %+v, which does not validate: %v", s, v, err)
		}
		text := string(v.AppendText(nil))
		if strings.ContainsAny(text, "\n\r") {
			t.Fatalf("text form %q of %+v is not one line", text, v)
		}
		back, err := faults.ParseFault(text)
		if err != nil {
			t.Fatalf("ParseFault(%q) = %+v; its text %q does not parse: %v", s, v, text, err)
		}
		if back != v {
			t.Fatalf("text round trip of %q: %+v became %+v via %q", s, v, back, text)
		}
		if !utf8.ValidString(v.Message) || !utf8.ValidString(v.Body) {
			return // JSON strings cannot carry invalid UTF-8
		}
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatalf("json.Marshal(%+v): %v", v, err)
		}
		var j faults.Fault
		if err := json.Unmarshal(b, &j); err != nil || j != v {
			t.Fatalf("JSON round trip of %+v via %s: %+v, %v", v, b, j, err)
		}
	})
}
