// Package explore plants four bugs that only faults reveal, and its tests
// show chaostest.Search finding each and shrinking it to the one-rule plan
// that causes it:
//
//   - Inventory.Items does not retry the backend, as Inventory.Item does
//     (found as inventory.list=1*error);
//   - Ledger.Transfer leaves its transaction open when the commit fails
//     (ledger.commit=1*error);
//   - Cache.Get leaks the goroutine of a lookup that hangs
//     (cache.get=1*hang);
//   - Pricing.Quote retries on two layers, so one request makes up to nine
//     calls to the pricing service (pricing.quote=3*error).
//
// Each type has a Fixed field that switches its bug off, under which the
// same search finds nothing. Run it with
//
//	go test -v ./examples/explore
package explore
