package store

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/feature/rds/auth"
)

// TokenSource returns the password of one new connection.
type TokenSource func(ctx context.Context) (string, error)

// IAMTokens signs RDS IAM authentication tokens for user at host:port with the default
// credential chain (the task role on ECS). A token is valid for 15 minutes and is checked only
// at sign-in (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/UsingWithRDSandDBInstances.IAMDBAuth.html),
// so one is signed per new connection and never kept.
func IAMTokens(ctx context.Context, host string, port int, region, user string) (TokenSource, error) {
	cfg, err := awsconfig.LoadDefaultConfig(ctx, awsconfig.WithRegion(region))
	if err != nil {
		return nil, &Error{Class: ClassCredentials, Detail: "load the AWS configuration: " + err.Error(), err: err}
	}
	return iamTokens(fmt.Sprintf("%s:%d", host, port), region, user, cfg.Credentials), nil
}

func iamTokens(endpoint, region, user string, creds aws.CredentialsProvider) TokenSource {
	return func(ctx context.Context) (string, error) {
		token, err := auth.BuildAuthToken(ctx, endpoint, region, user, creds)
		if err != nil {
			return "", &Error{Class: ClassCredentials, Detail: "sign an IAM database token (does the task role exist and may it rds-db:connect?): " + err.Error(), err: err}
		}
		return token, nil
	}
}
