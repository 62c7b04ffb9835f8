package app

import (
	"net/http"

	"github.com/jingyun/jingyun/auth"
)

// SCAFFOLD: replaced by the insights work.
func (a *App) registerInsights(mux *http.ServeMux, g *auth.Guard) {}
