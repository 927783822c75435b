package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/chaos/admin"
)

// Validate prints every problem of a plan with its place, and exits 1.
func Example_validate() {
	code := run([]string{"validate", "db.query=150%delay(200ms);pay.*=3*explode"}, nil, os.Stdout, os.Stdout)
	fmt.Println("exit", code)
	// Output:
	// plan: rules[0].rate: 1.5 is outside [0,1]
	// plan: rules[1]: fault "explode": unknown fault "explode" (want delay, error, panic, hang, pause, squeeze, cancel, status, abort, badconn, corrupt or custom(NAME))
	// exit 1
}

// Fmt prints a plan in its canonical text form; json in its JSON form.
func Example_fmt() {
	run([]string{"fmt", "db.query = 10% delay(200ms) ; pay.* = 3*error(timeout) [after=2]"}, nil, os.Stdout, os.Stdout)
	run([]string{"json", "-version", "v1", "-"}, strings.NewReader("db.query=50%abort"), os.Stdout, os.Stdout)
	// Output:
	// db.query=10%delay(200ms);pay.*=3*error(timeout)[after=2]
	// {
	//   "version": "v1",
	//   "rules": [
	//     {
	//       "point": "db.query",
	//       "fault": {
	//         "kind": "abort"
	//       },
	//       "rate": 0.5
	//     }
	//   ]
	// }
}

// Explain shows the points each rule hits, here from a list of point
// names on standard input, and exits 1 for a rule that hits none.
func Example_explain() {
	points := strings.NewReader("db.query\ndb.exec\npayments.charge\n")
	code := run([]string{"explain", "-points", "-", "db.*=10%error;payment.*=abort"}, points, os.Stdout, os.Stdout)
	fmt.Println("exit", code)
	// Output:
	// rules[0] db.*=10%error
	//     db.exec
	//     db.query
	// rules[1] payment.*=abort
	//     (no known point)
	//
	// 3 known points; 1 of 2 rules hit none: rules[1] ("payment.*")
	// exit 1
}

// Kill throws the kill switch of every target at once; -json prints the
// results for scripts. (The token comes from $FAULTLINE_TOKEN or
// -token-file; here, a file.)
func Example_kill() {
	const token = "use-32-random-bytes-in-production"
	engine := chaos.New(chaos.WithSeed(1))
	h := admin.New(engine, admin.WithToken(token))
	defer h.Close()
	srv := httptest.NewServer(http.StripPrefix("/debug/faultline", h))
	defer srv.Close()
	tokenFile, _ := os.CreateTemp("", "token")
	defer os.Remove(tokenFile.Name())
	tokenFile.WriteString(token)
	tokenFile.Close()

	var out bytes.Buffer
	code := run([]string{"kill", "-json", "-token-file", tokenFile.Name(), "-target", srv.URL + "/debug/faultline/"}, nil, &out, os.Stdout)
	var rep fleetReport
	json.Unmarshal(out.Bytes(), &rep)
	fmt.Println("exit", code, "ok", rep.Results[0].OK, "disabled", rep.Results[0].State.Disabled)
	fmt.Println("engine disabled:", engine.Disabled())
	// Output:
	// exit 0 ok true disabled true
	// engine disabled: true
}
