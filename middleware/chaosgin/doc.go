// Package chaosgin injects faults into [gin] servers with the fault points
// of a [chaos.Engine], named after gin's route paths, such as
// "GET /orders/:id":
//
//	e := chaos.New()
//	r := gin.New()
//	r.Use(gin.Recovery())
//	r.Use(chaosgin.Middleware(e))
//	r.GET("/orders/:id", getOrder)
//
//	// later, from a test, a file or an admin endpoint:
//	e.Apply(chaos.MustParsePlan(`"GET /orders/:id"=5%status(503)`))
//
// Faults take gin's own paths: status and error faults abort the chain
// with their code (the error is added to the context's errors, for gin's
// Logger); a panic fault reaches gin.Recovery. Responses a fault touched
// carry the header [chaoshttp.HeaderInjected], and the admin prefix
// [chaoshttp.AdminPrefix] is never a fault point, as with package
// chaoshttp.
//
// [gin]: https://gin-gonic.com
package chaosgin
