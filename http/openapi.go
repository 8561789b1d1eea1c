package httpapi

import (
	"regexp"
	"strings"
	"sync"

	"github.com/gofiber/fiber/v2"
)

var pathParam = regexp.MustCompile(`:([A-Za-z_]+)`)

// openAPI serves an OpenAPI 3 document built from the route table (routes.go), so it never misses an endpoint.
func (s *Server) openAPI(c *fiber.Ctx) error {
	s.openapiOnce.Do(func() { s.openapiDoc = s.buildOpenAPI() })
	return c.JSON(s.openapiDoc)
}

func (s *Server) buildOpenAPI() fiber.Map {
	errorRef := fiber.Map{"$ref": "#/components/responses/Error"}
	paths := fiber.Map{}
	for _, r := range apiRoutes(s.table) {
		p := pathParam.ReplaceAllString(r.path, "{$1}")
		item, _ := paths[p].(fiber.Map)
		if item == nil {
			item = fiber.Map{}
			paths[p] = item
		}
		var params []fiber.Map
		for _, m := range pathParam.FindAllStringSubmatch(r.path, -1) {
			params = append(params, fiber.Map{"name": m[1], "in": "path", "required": true, "schema": fiber.Map{"type": "string"}})
		}
		op := fiber.Map{
			"operationId": strings.ToLower(r.method) + strings.NewReplacer("/api/v1", "", "/", "_", ":", "", "-", "_").Replace(r.path),
			"responses": fiber.Map{
				"200": fiber.Map{"description": "成功", "content": fiber.Map{"application/json": fiber.Map{"schema": fiber.Map{"type": "object"}}}},
				"400": errorRef, "401": errorRef, "403": errorRef, "404": errorRef, "409": errorRef, "413": errorRef, "415": errorRef, "422": errorRef,
			},
		}
		if params != nil {
			op["parameters"] = params
		}
		if len(r.roles) > 0 {
			// Who may call it (an extension: OpenAPI has no notion of roles).
			op["x-roles"] = r.roles
		}
		if r.method == fiber.MethodPost || r.method == fiber.MethodPut || r.method == fiber.MethodPatch {
			op["requestBody"] = fiber.Map{"content": fiber.Map{"application/json": fiber.Map{"schema": fiber.Map{"type": "object"}}}}
			op["parameters"] = append(params, fiber.Map{"name": "Idempotency-Key", "in": "header", "required": false, "schema": fiber.Map{"type": "string"}})
		}
		item[strings.ToLower(r.method)] = op
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
	table       []route // the mounted route table
	openapiOnce sync.Once
	openapiDoc  fiber.Map
}
