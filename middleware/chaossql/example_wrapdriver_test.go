package chaossql_test

import (
	"database/sql"
	"fmt"
	"log"

	"modernc.org/sqlite"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/middleware/chaossql"
)

// appEngine is the service's engine.
var appEngine = chaos.New(chaos.WithSeed(1))

func init() {
	// Once, at start-up: register the wrapped driver under its own name.
	sql.Register("sqlite+chaos", chaossql.WrapDriver(&sqlite.Driver{}, appEngine))
}

// Code that opens databases by driver name uses the wrapped driver's name.
// An injected bad connection is retried by database/sql on a new
// connection, so the caller never sees it.
func ExampleWrapDriver() {
	db, err := sql.Open("sqlite+chaos", "file:example_wrapdriver?mode=memory&cache=shared")
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()

	if err := appEngine.Apply(chaos.MustParsePlan("sql.query=1*badconn")); err != nil {
		log.Fatal(err)
	}
	var answer int
	err = db.QueryRow("SELECT 42").Scan(&answer)
	fmt.Println(answer, err)
	rule := appEngine.Stats().Rules[0]
	fmt.Printf("%s: %d calls, %d fault\n", rule.Point, rule.Evaluations, rule.Fired)
	// Output:
	// 42 <nil>
	// sql.query: 2 calls, 1 fault
}
