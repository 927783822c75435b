package ofsource_test

import (
	"context"
	"fmt"

	of "github.com/open-feature/go-sdk/openfeature"
	"github.com/open-feature/go-sdk/openfeature/memprovider"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/chaos/source"
	ofsource "github.com/faultline-go/faultline/chaos/source/ofsource"
)

// The plan lives in a flag; changing the flag changes the faults. The
// in-memory provider stands in for a real flag system here.
func ExampleNew() {
	provider := memprovider.NewInMemoryProvider(map[string]memprovider.InMemoryFlag{
		"faultline-plan": {
			Key: "faultline-plan", State: memprovider.Enabled, DefaultVariant: "on",
			Variants: map[string]any{"on": map[string]any{
				"version": "gameday-1",
				"rules":   []any{map[string]any{"point": "payments.charge", "fault": "delay(200ms)", "rate": 0.05}},
			}},
		},
	})
	if err := of.SetNamedProviderAndWait("example", provider); err != nil {
		fmt.Println(err)
		return
	}
	defer of.Shutdown()

	e := chaos.New(chaos.WithSeed(1), chaos.WithPolicy(chaos.ProductionPolicy()))
	applied := make(chan source.RunnerStatus, 8)
	r := source.NewRunner(e, ofsource.New(of.NewClient("example"), "faultline-plan"),
		source.WithOnUpdate(func(s source.RunnerStatus) {
			if s.Applied > 0 {
				select {
				case applied <- s:
				default: // never block the runner
				}
			}
		}))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- r.Run(ctx) }()

	<-applied
	fmt.Println(e.Plan(), "from", e.Active().Source)

	// Someone edits the flag: the provider reports the change, and the
	// new plan applies.
	provider.UpdateFlags(map[string]memprovider.InMemoryFlag{
		"faultline-plan": {
			Key: "faultline-plan", State: memprovider.Enabled, DefaultVariant: "on",
			Variants: map[string]any{"on": "payments.charge=1%error(declined)"},
		},
	})
	for s := range applied {
		if s.Applied == 2 {
			break
		}
	}
	fmt.Println(e.Plan())
	cancel()
	<-done
	// Output:
	// payments.charge=5%delay(200ms) from openfeature:example/faultline-plan@gameday-1
	// payments.charge=1%error(declined)
}
