package testcert

import (
	"crypto/x509"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSelfSignedVerifiesFor127001(t *testing.T) {
	cert, pool := SelfSigned(t)
	require.NotNil(t, cert.Leaf)
	_, err := cert.Leaf.Verify(x509.VerifyOptions{Roots: pool, DNSName: "127.0.0.1"})
	assert.NoError(t, err)
	_, err = cert.Leaf.Verify(x509.VerifyOptions{Roots: x509.NewCertPool(), DNSName: "127.0.0.1"})
	assert.Error(t, err, "an empty pool does not trust it")
}
