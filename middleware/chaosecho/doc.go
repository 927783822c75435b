// Package chaosecho injects faults into [echo] servers with the fault
// points of a [chaos.Engine], named after echo's route paths, such as
// "GET /orders/:id":
//
//	e := chaos.New()
//	srv := echo.New()
//	srv.Use(middleware.Recover())
//	srv.Use(chaosecho.Middleware(e))
//	srv.GET("/orders/:id", getOrder)
//
//	// later, from a test, a file or an admin endpoint:
//	e.Apply(chaos.MustParsePlan(`"GET /orders/:id"=5%status(503)`))
//
// Faults take echo's own paths: status and error faults return an
// *echo.HTTPError, which echo's error handler writes; a panic fault
// reaches echo's Recover middleware. Responses a fault touched carry the
// header [chaoshttp.HeaderInjected], and the admin prefix
// [chaoshttp.AdminPrefix] is never a fault point, as with package
// chaoshttp.
//
// [echo]: https://echo.labstack.com
package chaosecho
