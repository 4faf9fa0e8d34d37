"""``/app/exports/<kind>.<fmt>``: the records behind the dashboard's current filter, as files.

The query string is the dashboard's (see ``scope.py``), so a commander downloads what the screen
shows and a scheduled job fetches the same URL with a bearer token. See docs/exports.md.
"""

from django.http import FileResponse, Http404, StreamingHttpResponse
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_GET

from . import exports
from .auth import session_or_token
from .scope import Scope, ScopeError


@require_GET
@session_or_token
def export(request, kind: str, fmt: str):
    table = exports.TABLES.get(kind)
    if table is None or fmt not in exports.FORMATS:
        raise Http404
    try:
        scope = Scope.from_request(request)
    except ScopeError as error:
        return error.as_response(request)
    name = exports.filename(kind, scope, fmt)
    content_type = exports.FORMATS[fmt]
    if fmt == "xlsx":
        # The sheet cannot stream (a zip is finished at its end): build it on disk, then send it.
        file = exports.write_xlsx(
            table.keys,
            table.rows(scope, limit=exports.XLSX_MAX_ROWS + 1),
            sheet_title=kind,
        )
        response = FileResponse(file, as_attachment=True, filename=name, content_type=content_type)
    else:
        if fmt == "csv":
            chunks = exports.csv_chunks(table.keys, table.rows(scope))
        else:
            chunks = exports.geojson_chunks(table.keys, table.rows(scope), table.point_index())
        response = StreamingHttpResponse(chunks, content_type=content_type)
        response["Content-Disposition"] = f'attachment; filename="{name}"'
    patch_cache_control(response, private=True, no_store=True)
    return response
