package app

import (
	"net/http"

	"github.com/jingyun/jingyun/auth"
)

// SCAFFOLD: replaced by the live work.
func (a *App) registerLive(mux *http.ServeMux, g *auth.Guard) {}
