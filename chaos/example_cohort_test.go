package chaos_test

import (
	"context"
	"fmt"

	"github.com/faultline-go/faultline/chaos"
)

// A sticky rule fails every call for a fifth of the users; InCohort says
// which users those are, so each outcome can be counted for its cohort.
func ExampleEngine_InCohort() {
	e := chaos.New(chaos.WithSeed(11))
	if err := e.Apply(chaos.MustParsePlan("checkout=20%error[sticky=user]")); err != nil {
		fmt.Println(err)
		return
	}
	checkout := e.Point("checkout")
	var agree, in int
	for i := range 1000 {
		user := fmt.Sprintf("user-%d", i)
		failed := checkout.DecideLabels(context.Background(), chaos.Label{Key: "user", Value: user}).Fired()
		if e.InCohort(user, 0.2) {
			in++
		}
		if failed == e.InCohort(user, 0.2) {
			agree++
		}
	}
	fmt.Println("users in the cohort:", in)
	fmt.Println("failed exactly when in the cohort:", agree == 1000)
	// Output:
	// users in the cohort: 216
	// failed exactly when in the cohort: true
}
