// Command faultline vets chaos plans and steers the admin endpoints of
// services that embed faultline, from a terminal or a CI pipeline.
//
// Install it with
//
//	go install github.com/faultline-go/faultline/cmd/faultline@latest
//
// Usage:
//
//	faultline COMMAND [flags] [args]
//
// The commands:
//
//	validate [-policy FILE] [-json] PLAN        check a plan, and that a policy allows it
//	fmt PLAN                                    print a plan in its canonical text form
//	json [-version V] PLAN                      print a plan in its JSON form
//	explain -points FILE|URL [-json] PLAN       show which known points each rule hits
//	report REPORT.json                          render a game day report as Markdown
//	replay-check [-json] REPORT.json            check that a replay reproduces a report
//	status -target URL... | -targets FILE       show the state of admin endpoints
//	apply  -target URL... [-if-generation N] PLAN   apply a plan on admin endpoints
//	kill   -target URL... | -targets FILE       throw the kill switch of admin endpoints
//	rearm  -target URL... | -targets FILE       re-arm admin endpoints
//	mint [-ttl D] [-issuer NAME] [-seed N] PLAN mint a signed request directive
//
// Run "faultline help COMMAND" or "faultline COMMAND -h" for a command's
// flags and examples. Flags may come before or after the arguments; "--"
// ends the flags.
//
// # Plans
//
// A PLAN argument names a file that holds a plan, in its text or its JSON
// form (see chaos.ParsePlan), or "-" for standard input; any other
// argument is the plan text itself:
//
//	faultline validate -policy policy.json plans/checkout.json
//	faultline fmt 'db.query = 10% delay(200ms) ; pay.* = 3*error(timeout)'
//	faultline explain -points http://svc:8080/debug/faultline/ plan.txt
//
// Problems are printed one a line, with their place: "plan.json:
// rules[1].rate: 1.5 is outside [0,1]". A policy file holds the JSON form
// of chaos.Policy, read strictly; its "max_latency" may be a duration
// string such as "2s".
//
// # Admin endpoints
//
// status, apply, kill and rearm talk to the admin handlers (package
// chaos/admin) named by -target URL, repeated, or listed in -targets FILE,
// one URL a line. They send the bearer token of $FAULTLINE_TOKEN, or of
// -token-file FILE; never of a flag value, which would show in the
// process list and the shell's history. They talk to every target at
// once, each request bounded by -timeout (5s by default), and print a
// table, or JSON with -json. kill returns within one timeout whatever the
// targets do, and lists the targets that did not confirm:
//
//	$ faultline kill -targets fleet.txt -target http://127.0.0.1:18083/debug/faultline/
//	TARGET                                   RESULT  GEN  KILL SWITCH                PLAN
//	http://127.0.0.1:18083/debug/faultline/  FAILED  -    -                          dial tcp 127.0.0.1:18083: connect: connection refused
//	http://127.0.0.1:18081/debug/faultline/  ok      2    thrown (admin: 127.0.0.1)  db.query=5%delay(200ms)
//	http://127.0.0.1:18082/debug/faultline/  ok      2    thrown (admin: 127.0.0.1)  db.query=5%delay(200ms)
//
//	2 of 3 targets confirmed; did not confirm: http://127.0.0.1:18083/debug/faultline/
//
// apply -if-generation N applies only on a target whose engine is still
// at generation N (the GEN column), as If-Match on PUT api/plan.
//
// # Game day reports and directives
//
// report renders a game day report (package chaos/gameday) as Markdown;
// replay-check replays its seed and plan through the calls it recorded
// and says whether the replay makes the same decisions. mint signs a plan
// as a request directive, with the key of $FAULTLINE_DIRECTIVE_KEY or
// -key-file, and prints the token to send as "baggage: faultline=TOKEN".
//
// # Exit codes
//
//	0  success: the plan is valid, every rule hits a point, the replay
//	   matches, every target confirmed
//	1  invalid input: a plan or policy with problems, a rule that hits no
//	   known point (explain), a replay that does not match (replay-check)
//	2  usage: a bad flag or argument, no token, no target
//	3  some targets failed or did not confirm (status, apply, kill, rearm),
//	   or the admin URL of explain -points did not answer
package main
