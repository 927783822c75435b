package chaosgin_test

import (
	"io"
	"testing"

	"github.com/gin-gonic/gin"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	gin.SetMode(gin.TestMode)
	gin.DefaultErrorWriter = io.Discard // gin.Recovery logs the injected panics there
	goleak.VerifyTestMain(m)
}
