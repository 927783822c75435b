package main

import (
	"context"
	"fmt"
	"io"
)

// Example runs the three checkouts and tells which waited at payments,
// and which directive payments' admin API names for the fault.
func Example() {
	res, err := run(context.Background(), io.Discard)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("with the directive, charged in 300ms or more:", res.Directed.Charge >= injected)
	fmt.Println("without, charged in 300ms or more:", res.Plain.Charge >= injected)
	fmt.Println("forged, charged in 300ms or more:", res.Forged.Charge >= injected)
	for _, ev := range res.Events {
		fmt.Printf("payments: %s %s, directive %s\n", ev.Point, ev.Fault, ev.Directive)
	}
	// Output:
	// with the directive, charged in 300ms or more: true
	// without, charged in 300ms or more: false
	// forged, charged in 300ms or more: false
	// payments: payments.charge delay(300ms), directive checkout-demo
}
