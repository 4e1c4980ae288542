"""The API's routers, one per area (each route: parse, call one service function, render)."""
