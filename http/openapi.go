package httpapi

import (
	"regexp"
	"sort"
	"strings"
	"sync"

	"github.com/gofiber/fiber/v2"
)

func init() {
	modules = append(modules, func(s *Server, app *fiber.App, api fiber.Router) {
		app.Get("/api/openapi.json", s.openAPI)
	})
}

var pathParam = regexp.MustCompile(`:([A-Za-z_]+)`)

// openAPI serves an OpenAPI 3 document built from the routes actually mounted, so it never misses an endpoint.
func (s *Server) openAPI(c *fiber.Ctx) error {
	s.openapiOnce.Do(func() { s.openapiDoc = s.buildOpenAPI() })
	return c.JSON(s.openapiDoc)
}

func (s *Server) buildOpenAPI() fiber.Map {
	errorRef := fiber.Map{"$ref": "#/components/responses/Error"}
	paths := fiber.Map{}
	routes := s.app.GetRoutes(true)
	sort.Slice(routes, func(i, j int) bool { return routes[i].Path < routes[j].Path })
	for _, r := range routes {
		if !strings.HasPrefix(r.Path, "/api/v1/") || strings.Contains(r.Path, "*") || r.Method == fiber.MethodHead {
			continue
		}
		p := pathParam.ReplaceAllString(r.Path, "{$1}")
		item, _ := paths[p].(fiber.Map)
		if item == nil {
			item = fiber.Map{}
			paths[p] = item
		}
		var params []fiber.Map
		for _, m := range pathParam.FindAllStringSubmatch(r.Path, -1) {
			params = append(params, fiber.Map{"name": m[1], "in": "path", "required": true, "schema": fiber.Map{"type": "string"}})
		}
		op := fiber.Map{
			"operationId": strings.ToLower(r.Method) + strings.NewReplacer("/api/v1", "", "/", "_", ":", "", "-", "_").Replace(r.Path),
			"responses": fiber.Map{
				"200": fiber.Map{"description": "成功", "content": fiber.Map{"application/json": fiber.Map{"schema": fiber.Map{"type": "object"}}}},
				"400": errorRef, "401": errorRef, "403": errorRef, "404": errorRef, "409": errorRef, "413": errorRef, "415": errorRef, "422": errorRef,
			},
		}
		if params != nil {
			op["parameters"] = params
		}
		if r.Method == fiber.MethodPost || r.Method == fiber.MethodPut || r.Method == fiber.MethodPatch {
			op["requestBody"] = fiber.Map{"content": fiber.Map{"application/json": fiber.Map{"schema": fiber.Map{"type": "object"}}}}
			op["parameters"] = append(params, fiber.Map{"name": "Idempotency-Key", "in": "header", "required": false, "schema": fiber.Map{"type": "string"}})
		}
		item[strings.ToLower(r.Method)] = op
	}
	return fiber.Map{
		"openapi": "3.0.3",
		"info": fiber.Map{
			"title":       "xinyong 信用修复协同平台 API",
			"version":     "1",
			"description": "JSON API of xinyong. Dates are YYYY-MM-DD (Asia/Shanghai), times RFC 3339. See API.md for the fields of each resource.",
		},
		"servers":  []fiber.Map{{"url": s.cfg.BaseURL}},
		"security": []fiber.Map{{"bearer": []string{}}, {"session": []string{}}},
		"paths":    paths,
		"components": fiber.Map{
			"securitySchemes": fiber.Map{
				"bearer":  fiber.Map{"type": "http", "scheme": "bearer"},
				"session": fiber.Map{"type": "apiKey", "in": "cookie", "name": sessionCookie},
			},
			"schemas": fiber.Map{
				"Error": fiber.Map{"type": "object", "required": []string{"error"}, "properties": fiber.Map{
					"error": fiber.Map{"type": "object", "required": []string{"code", "message"}, "properties": fiber.Map{
						"code":    fiber.Map{"type": "string", "description": "machine-readable snake_case code"},
						"message": fiber.Map{"type": "string", "description": "中文说明"},
						"details": fiber.Map{"type": "object"},
					}},
				}},
			},
			"responses": fiber.Map{
				"Error": fiber.Map{"description": "错误", "content": fiber.Map{"application/json": fiber.Map{"schema": fiber.Map{"$ref": "#/components/schemas/Error"}}}},
			},
		},
	}
}

// openapiState caches the document; routes do not change after start.
type openapiState struct {
	openapiOnce sync.Once
	openapiDoc  fiber.Map
}
