package server

import "github.com/caravan-ci/caravan/shared/tasktoken"

// TaskTokens is the issuer of the server's task tokens. An executor plugged in through Config.Executor mints
// the token of each task it runs with it (as the local process executor does), so its runner can call the
// task API.
func (s *Server) TaskTokens() *tasktoken.Issuer { return s.tokens }
