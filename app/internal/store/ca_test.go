package store

import (
	"crypto/x509"
	"encoding/pem"
	"testing"
)

func TestPinnedRDSBundle(t *testing.T) {
	subjects := map[string]bool{}
	rest := rdsCABundle
	for {
		var block *pem.Block
		if block, rest = pem.Decode(rest); block == nil {
			break
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			t.Fatal(err)
		}
		subjects[c.Subject.CommonName] = true
	}
	if len(subjects) < 100 {
		t.Fatalf("%d certificates, want the global bundle's 100+", len(subjects))
	}
	for _, want := range []string{"Amazon RDS Root 2019 CA", "Amazon RDS eu-west-1 Root CA RSA2048 G1", "Amazon RDS us-east-1 Root CA RSA4096 G1", "Amazon RDS eu-central-1 Root CA ECC384 G1"} {
		if !subjects[want] {
			t.Errorf("the bundle lacks %q", want)
		}
	}
	if _, err := tlsConfig("db.example", ""); err != nil {
		t.Fatal(err)
	}
}
