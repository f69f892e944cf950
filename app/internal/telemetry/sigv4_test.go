package telemetry

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

// TestSigV4SignsTheSpanBatch: the receiver recomputes the signature from the request it got
// (body included) and finds the one the transport sent; a changed body no longer matches.
func TestSigV4SignsTheSpanBatch(t *testing.T) {
	creds := credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "")
	at := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	// verify re-signs what the server received, with the headers the signature names.
	verify := func(r *http.Request, body []byte) bool {
		auth := r.Header.Get("Authorization")
		_, signed, _ := strings.Cut(auth, "SignedHeaders=")
		signed, _, _ = strings.Cut(signed, ",")
		clone, _ := http.NewRequest(r.Method, "http://"+r.Host+r.URL.RequestURI(), nil)
		for _, h := range strings.Split(signed, ";") {
			clone.Header.Set(h, r.Header.Get(h))
		}
		clone.ContentLength = r.ContentLength
		sum := sha256.Sum256(body)
		c, _ := creds.Retrieve(context.Background())
		if err := v4.NewSigner().SignHTTP(context.Background(), c, clone, hex.EncodeToString(sum[:]), "xray", "eu-west-1", at); err != nil {
			t.Fatal(err)
		}
		return clone.Header.Get("Authorization") == r.Header.Get("Authorization")
	}
	var got *http.Request
	var gotBody []byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, gotBody = r, mustRead(t, r.Body)
	}))
	defer srv.Close()
	client := &http.Client{Transport: &sigv4Transport{next: http.DefaultTransport, creds: aws.NewCredentialsCache(creds), signer: v4.NewSigner(), region: "eu-west-1", now: func() time.Time { return at }}}
	resp, err := client.Post(srv.URL+"/v1/traces", "application/x-protobuf", strings.NewReader("span batch"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if !strings.Contains(got.Header.Get("Authorization"), "/eu-west-1/xray/aws4_request") || !verify(got, gotBody) {
		t.Fatalf("Authorization %q does not verify", got.Header.Get("Authorization"))
	}
	if verify(got, []byte("another batch")) {
		t.Fatal("the signature does not cover the body")
	}
}

func TestExportClientSignsOnlyForXRay(t *testing.T) {
	c, err := exportClient(context.Background(), "http://127.0.0.1:4318/v1/traces")
	if err != nil || c.Transport != nil {
		t.Fatalf("local receiver: %v %T, want a plain client", err, c.Transport)
	}
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	c, err = exportClient(context.Background(), "https://xray.eu-west-1.amazonaws.com/v1/traces")
	if tr, ok := c.Transport.(*sigv4Transport); err != nil || !ok || tr.region != "eu-west-1" {
		t.Fatalf("X-Ray: %v %T, want a signing client for eu-west-1", err, c.Transport)
	}
}

func mustRead(t *testing.T, r io.Reader) []byte {
	t.Helper()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
