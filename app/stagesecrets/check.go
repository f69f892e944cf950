package stagesecrets

import (
	"context"
	"errors"
	"fmt"
)

// CheckDeployable refuses while any of ids (names or complete ARNs) has no value or still
// holds its placeholder: tasks started with it could not open the vault, and the first
// deployment would wait for health checks that never pass and then roll back. fix is the
// command that puts the values (for example `make publish STAGE=prod ENV_FILE=.env.prod`).
// It needs secretsmanager:DescribeSecret only.
func CheckDeployable(ctx context.Context, c Client, ids []string, fix string) error {
	var errs []error
	for _, id := range ids {
		st, err := Inspect(ctx, c, id)
		switch {
		case err != nil:
			errs = append(errs, err)
		case st.State == Placeholder:
			errs = append(errs, fmt.Errorf("secret %s still holds the placeholder the foundation created it with: run %s first", id, fix))
		case st.State == Empty:
			errs = append(errs, fmt.Errorf("secret %s has no value: run %s first (or put the value yourself)", id, fix))
		}
	}
	return errors.Join(errs...)
}
