"""The advisor API: FastAPI over the dealer's services (``dealer``).

Start it with the factory, so nothing reads settings or opens a database at import:
``uvicorn --factory api.main:create_app``.
"""
