"""Open311 GeoReport v2 (http://wiki.open311.org/GeoReport_v2) at /open311/v2/.

Every call answers in the format its name ends with, `.json` or `.xml`. A request's
service_request_id is the concern's tracking code: unguessable, so knowing one proves nothing
and listing them needs the public list. Reporter details (name, phone, e-mail, device or
account ids) are stored but never answered, and confidential concerns never appear.
"""

from __future__ import annotations

import json
import math
import re
import xml.etree.ElementTree as ET
from datetime import datetime, time, timedelta

from django.conf import settings
from django.core.exceptions import SuspiciousOperation, ValidationError
from django.core.validators import validate_email
from django.db.models import OuterRef, Q, Subquery
from django.http import HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from patroli.core.geo import distance_m
from patroli.regions.models import Region, fold
from patroli.units.models import Unit

from .models import Category, Concern, ConcernEvent, Open311Key, normalise_tracking_code
from .services import ConcernError, open_concern

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
# When this endpoint last changed in a way a client might notice.
CHANGESET = "2026-11-29T00:00:00Z"
FORMATS = ("xml", "json")
CONTENT_TYPES = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}

MAX_REQUESTS = 1000  # at most this many requests in one answer (the spec's limit)
DEFAULT_DAYS = 90  # without start_date, the list covers this many days before end_date (or now)
MAX_DESCRIPTION = 4000  # the spec's limit on description
# A point farther than this from every covered village's centroid is outside our area.
MAX_VILLAGE_DISTANCE_M = 50_000

# Longest values the concern's columns take.
MAX_NAME = Concern._meta.get_field("reporter_name").max_length
MAX_PHONE = Concern._meta.get_field("reporter_phone").max_length
MAX_EMAIL = Concern._meta.get_field("reporter_email").max_length
MAX_ADDRESS = Concern._meta.get_field("address").max_length

# The element name of one item of each list, in XML.
XML_ITEMS = {
    "services": "service",
    "service_requests": "request",
    "errors": "error",
    "endpoints": "endpoint",
    "formats": "format",
    "attributes": "attribute",
    "values": "value",
}
# Characters XML 1.0 cannot carry at all, even escaped.
XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


# Rendering ------------------------------------------------------------------------------------


class Open311Error(Exception):
    """Answer with these errors and this HTTP status (400, 403 or 404)."""

    def __init__(self, status: int, *descriptions: str):
        super().__init__(*descriptions)
        self.status = status
        self.descriptions = descriptions


def xml_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return XML_ILLEGAL.sub("", str(value))


def xml_element(tag: str, value) -> ET.Element:
    element = ET.Element(tag)
    if isinstance(value, dict):
        for key, item in value.items():
            element.append(xml_element(key, item))
    elif isinstance(value, list | tuple):
        for item in value:
            element.append(xml_element(XML_ITEMS[tag], item))
    else:
        element.text = xml_text(value)
    return element


def render(fmt: str, root: str, data, status: int = 200) -> HttpResponse:
    """``data`` as JSON, or as XML under the element ``root`` (lists: one child per item)."""
    if fmt == "xml":
        body = ET.tostring(xml_element(root, data), encoding="utf-8", xml_declaration=True)
    else:
        body = json.dumps(data, ensure_ascii=False).encode()
    return HttpResponse(body, status=status, content_type=CONTENT_TYPES[fmt])


def render_errors(fmt: str, status: int, *descriptions: str) -> HttpResponse:
    errors = [{"code": status, "description": text} for text in descriptions]
    return render(fmt if fmt in FORMATS else "json", "errors", errors, status=status)


def open311_view(view):
    """Unknown format → 404; an Open311Error → its status with the spec's error list; a NUL
    character in the address or a parameter (PostgreSQL text cannot hold one) → 400."""

    def wrapper(request: HttpRequest, *args, fmt: str, **kwargs) -> HttpResponse:
        if fmt not in FORMATS:
            return render_errors("json", 404, f"Unknown format {fmt!r}: use .json or .xml.")
        if "\x00" in request.path_info or any(
            "\x00" in key or any("\x00" in v for v in values) for key, values in request.GET.lists()
        ):
            return render_errors(
                fmt, 400, "The request holds a null character, which is not allowed."
            )
        try:
            return view(request, *args, fmt=fmt, **kwargs)
        except Open311Error as exc:
            return render_errors(fmt, exc.status, *exc.descriptions)

    wrapper.__name__ = view.__name__
    wrapper.__doc__ = view.__doc__
    return wrapper


def local_iso(moment: datetime | None) -> str:
    return timezone.localtime(moment).isoformat(timespec="seconds") if moment else ""


def comma_list(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]


# Discovery and services -----------------------------------------------------------------------


@require_http_methods(["GET", "HEAD"])
@open311_view
def discovery(request, fmt):
    """Where the endpoint is and what it speaks."""
    base = request.build_absolute_uri(reverse("open311:discovery", kwargs={"fmt": fmt}))
    contact = (
        settings.PATROLI_OPEN311_CONTACT
        or f"Write to {settings.DEFAULT_FROM_EMAIL} for help with this Open311 endpoint."
    )
    data = {
        "changeset": CHANGESET,
        "contact": contact,
        "key_service": "Ask the Patroli administrators for an api_key; they issue one with "
        "`patroli create-open311-key NAME`.",
        "endpoints": [
            {
                "specification": SPECIFICATION,
                "url": base.rsplit("/", 1)[0],
                "changeset": CHANGESET,
                "type": "production",
                "formats": ["text/xml", "application/json"],
            }
        ],
    }
    return render(fmt, "discovery", data)


def service_data(category: Category) -> dict:
    return {
        "service_code": category.code,
        "service_name": category.name,
        "description": category.name,
        "metadata": False,
        "type": "realtime",
        "keywords": category.group,
        "group": category.group,
    }


@require_http_methods(["GET", "HEAD"])
@open311_view
def services(request, fmt):
    """Every active category, as a service."""
    categories = Category.objects.filter(active=True).order_by("group", "name", "code")
    return render(fmt, "services", [service_data(c) for c in categories])


def active_category(code: str) -> Category | None:
    return Category.objects.filter(code=code.strip(), active=True).first()


@require_http_methods(["GET", "HEAD"])
@open311_view
def service_definition(request, service_code, fmt):
    """The extra questions of a service: none here, so an empty list of attributes."""
    category = active_category(service_code)
    if category is None:
        raise Open311Error(404, f"No service has the service_code {service_code!r}.")
    return render(fmt, "service_definition", {"service_code": category.code, "attributes": []})


# Reading requests -----------------------------------------------------------------------------


def latest_public_note():
    """The note of the latest public status change or note: the request's status_notes."""
    events = ConcernEvent.objects.filter(
        concern=OuterRef("pk"),
        public=True,
        kind__in=[ConcernEvent.Kind.STATUS, ConcernEvent.Kind.NOTE],
    ).order_by("-created_at", "-id")
    return Subquery(events.values("note")[:1])


def public_requests():
    return (
        Concern.objects.public()
        .select_related("category", "village", "unit")
        .annotate(status_notes=latest_public_note())
        .order_by("-created_at", "-id")
    )


def request_data(concern: Concern) -> dict:
    """One service request. Nothing about the reporter, anonymous or not."""
    if concern.status == Concern.Status.REFERRED and concern.agency:
        agency = concern.agency
    else:
        agency = concern.unit.name
    return {
        "service_request_id": concern.tracking_code,
        "status": "open" if concern.is_open else "closed",
        "status_notes": getattr(concern, "status_notes", None) or "",
        "service_name": concern.category.name,
        "service_code": concern.category.code,
        "description": concern.description,
        "agency_responsible": agency,
        "service_notice": "",
        "requested_datetime": local_iso(concern.created_at),
        "updated_datetime": local_iso(concern.updated_at),
        "expected_datetime": local_iso(concern.due_at),
        "address": concern.address or concern.village.name,
        "address_id": "",
        "zipcode": concern.village.postal_code,
        "lat": concern.lat if concern.lat is not None else "",
        "long": concern.lon if concern.lon is not None else "",
        "media_url": "",
    }


def parse_moment(name: str, value: str, *, end: bool = False) -> datetime:
    """An ISO 8601 date or date-time; a bare date as an end means the whole of that day.

    A "+" of an unencoded offset arrives as a space; it is put back. A time without an offset
    is in the server's time zone (TIME_ZONE)."""
    text = value.strip()
    text = re.sub(r"(\d\d:\d\d(?::\d\d(?:\.\d+)?)?) (\d\d(?::?\d\d)?)$", r"\1+\2", text)
    try:
        moment = parse_datetime(text) if "T" in text or " " in text else None
        if moment is None and (day := parse_date(text)) is not None:
            moment = datetime.combine(day, time.max if end else time.min)
    except ValueError:
        moment = None
    # Years far from any concern are refused: near datetime's limits, arithmetic overflows.
    if moment is None or not 1900 <= moment.year <= 9000:
        raise Open311Error(
            400, f"{name} {value!r} is not an ISO 8601 date-time (e.g. 2024-01-31T08:00:00+08:00)."
        )
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


def filter_requests(params) -> list[Concern]:
    qs = public_requests()
    ids = params.get("service_request_id", "")
    if ids.strip():
        # The spec: with service_request_id, the other filters are ignored.
        codes = {normalise_tracking_code(code) for code in comma_list(ids)}
        return list(qs.filter(tracking_code__in=codes)[:MAX_REQUESTS])

    errors = []
    start = end = None
    try:
        if params.get("end_date", "").strip():
            end = parse_moment("end_date", params["end_date"], end=True)
    except Open311Error as exc:
        errors.extend(exc.descriptions)
    try:
        if params.get("start_date", "").strip():
            start = parse_moment("start_date", params["start_date"])
    except Open311Error as exc:
        errors.extend(exc.descriptions)
    statuses = {s.lower() for s in comma_list(params.get("status", ""))}
    if statuses - {"open", "closed"}:
        errors.append("status takes open, closed, or both separated by a comma.")
    if start and end and start > end:
        errors.append("start_date is after end_date.")
    if errors:
        raise Open311Error(400, *errors)

    if start is None:
        start = (end or timezone.now()) - timedelta(days=DEFAULT_DAYS)
    qs = qs.filter(created_at__gte=start)
    if end is not None:
        qs = qs.filter(created_at__lte=end)
    if service_codes := comma_list(params.get("service_code", "")):
        qs = qs.filter(category__code__in=service_codes)
    if statuses == {"open"}:
        qs = qs.filter(status__in=Concern.OPEN)
    elif statuses == {"closed"}:
        qs = qs.exclude(status__in=Concern.OPEN)
    return list(qs[:MAX_REQUESTS])


def find_public(code: str) -> Concern | None:
    return public_requests().filter(tracking_code=normalise_tracking_code(code)).first()


@require_http_methods(["GET", "HEAD"])
@open311_view
def request_detail(request, service_request_id, fmt):
    concern = find_public(service_request_id)
    if concern is None:
        raise Open311Error(404, f"No service request has the id {service_request_id!r}.")
    return render(fmt, "service_requests", [request_data(concern)])


@require_http_methods(["GET", "HEAD"])
@open311_view
def token(request, token, fmt):
    """Requests are created at once, so a token is simply the request's id."""
    concern = find_public(token)
    if concern is None:
        raise Open311Error(404, f"No service request has the token {token!r}.")
    return render(
        fmt,
        "service_requests",
        [{"token": token, "service_request_id": concern.tracking_code}],
    )


# Creating requests ----------------------------------------------------------------------------


def covered_villages():
    """Villages some unit is responsible for (its region is the village or an ancestor)."""
    codes = set(Unit.objects.filter(regions__isnull=False).values_list("regions__code", flat=True))
    # A code under another covered code adds nothing.
    codes = {c for c in codes if not any(c.startswith(o + ".") for o in codes)}
    if not codes:
        return Region.objects.none()
    covered = Q()
    for code in codes:
        covered |= Q(code=code) | Q(code__startswith=code + ".")
    return Region.objects.villages().filter(covered)


def nearest_village(lat: float, lon: float) -> Region | None:
    """The covered village whose centroid is nearest, looking in ever wider boxes around the
    point; None when it is farther than MAX_VILLAGE_DISTANCE_M (the widest box, ±0.5°, holds
    every centroid within 50 km anywhere in Indonesia)."""
    villages = covered_villages().filter(lat__isnull=False, lng__isnull=False)
    for half_deg in (0.05, 0.15, 0.5):
        box = villages.filter(
            lat__range=(lat - half_deg, lat + half_deg),
            lng__range=(lon - half_deg, lon + half_deg),
        ).only("code", "name", "lat", "lng", "postal_code")
        found = min(
            ((distance_m(lat, lon, v.lat, v.lng), v.code, v) for v in box),
            key=lambda item: item[:2],
            default=None,
        )
        # Whatever lies outside the box is farther than the circle inscribed in it.
        inscribed = half_deg * 111_000 * math.cos(math.radians(min(abs(lat) + half_deg, 89)))
        if found and found[0] <= inscribed:
            return found[2] if found[0] <= MAX_VILLAGE_DISTANCE_M else None
    return None


def village_from_code(value: str) -> Region | None:
    """A village by its Kemendagri code, with or without the dots (6409042004)."""
    code = value.strip()
    if re.fullmatch(r"\d{10}", code):
        code = f"{code[:2]}.{code[2:4]}.{code[4:6]}.{code[6:]}"
    return Region.objects.villages().filter(code=code).first()


def word_string(text: str) -> str:
    """The folded words of ``text`` between spaces, to look for whole words inside another."""
    return " " + " ".join(re.findall(r"\w+", fold(text))) + " "


def village_from_address(address: str) -> Region | None:
    """The one covered village the address names: by the village search, else the single
    village whose whole name appears among the address's words."""
    covered = covered_villages()
    matches = list(covered.search(address)[:2])
    if len(matches) == 1:
        return matches[0]
    if matches:
        return None
    words = word_string(address)
    named = [
        village
        for village in covered.only("code", "name", "search_name", "postal_code")
        if word_string(village.search_name) in words
    ]
    return named[0] if len(named) == 1 else None


def parse_coordinate(name: str, value: str, limit: float, errors: list[str]) -> float | None:
    try:
        number = float(value)
    except ValueError:
        number = math.nan
    if not math.isfinite(number) or abs(number) > limit:
        errors.append(f"{name} must be a number from -{limit:g} to {limit:g}.")
        return None
    return number


def request_attributes(post) -> dict:
    """attribute[code] values (attribute[code][] repeated for several)."""
    attributes = {}
    for key in post:
        match = re.fullmatch(r"attribute\[([^\]]+)\](\[\])?", key)
        if match:
            values = [v.strip() for v in post.getlist(key)]
            attributes[match.group(1)] = values if match.group(2) else values[-1]
    return attributes


def create_request(request, fmt):
    try:
        post = request.POST
    except (MultiPartParserError, SuspiciousOperation):  # a broken body, too many fields
        raise Open311Error(
            400,
            "The body is not a form Patroli can read: send application/x-www-form-urlencoded "
            "(or multipart/form-data with its boundary), within the size and field limits.",
        ) from None
    key = Open311Key.verify(post.get("api_key", "").strip()) if post.get("api_key") else None
    if key is None:
        raise Open311Error(403, "A valid api_key is required to create a service request.")

    if any("\x00" in value for values in post.lists() for value in values[1]):
        raise Open311Error(400, "The request holds a null character, which is not allowed.")
    errors = []
    text = {name: post.get(name, "").strip() for name in post if not name.startswith("attr")}
    category = None
    if not text.get("service_code"):
        errors.append("service_code is required: one of the codes listed by services.")
    elif (category := active_category(text["service_code"])) is None:
        errors.append(f"service_code {text['service_code']!r} is not one of our services.")

    lat = lon = None
    if text.get("lat") or text.get("long"):
        if not (text.get("lat") and text.get("long")):
            errors.append("lat and long must be given together.")
        else:
            lat = parse_coordinate("lat", text["lat"], 90, errors)
            lon = parse_coordinate("long", text["long"], 180, errors)
    address = text.get("address_string", "")
    address_id = text.get("address_id", "")
    if not (text.get("lat") or text.get("long") or address or address_id):
        errors.append("A location is required: lat and long, address_string, or address_id.")

    description = text.get("description", "")
    if len(description) > MAX_DESCRIPTION:
        errors.append(f"description is longer than {MAX_DESCRIPTION} characters.")
    if len(address) > MAX_ADDRESS:
        errors.append(f"address_string is longer than {MAX_ADDRESS} characters.")
    name = " ".join(filter(None, [text.get("first_name"), text.get("last_name")]))
    if len(name) > MAX_NAME:
        errors.append(f"first_name and last_name together are longer than {MAX_NAME} characters.")
    phone = text.get("phone", "")
    if len(phone) > MAX_PHONE:
        errors.append(f"phone is longer than {MAX_PHONE} characters.")
    email = text.get("email", "")
    if email:
        try:
            if len(email) > MAX_EMAIL:
                raise ValidationError("too long")
            validate_email(email)
        except ValidationError:
            errors.append("email is not a valid e-mail address.")
    if errors:
        raise Open311Error(400, *errors)

    attributes = request_attributes(post)
    village_code = attributes.get("village") or address_id
    if isinstance(village_code, list):
        village_code = village_code[-1] if village_code else ""
    if village_code:
        village = village_from_code(village_code)
        if village is None:
            raise Open311Error(
                400,
                f"{village_code!r} is not a village code: give the Kemendagri code of the "
                "village (e.g. 64.09.04.2004) as address_id or attribute[village].",
            )
    elif lat is not None:
        village = nearest_village(lat, lon)
        if village is None:
            raise Open311Error(400, "lat and long are outside the area this service covers.")
    else:
        village = village_from_address(address)
        if village is None:
            raise Open311Error(
                400,
                f"address_string {address!r} does not name exactly one village we cover: give "
                "the Kemendagri village code as address_id (e.g. 64.09.04.2004).",
            )

    for extra in ("device_id", "account_id", "media_url"):
        if text.get(extra):
            attributes[extra] = text[extra]
    attributes["open311_key"] = key.name
    try:
        concern = open_concern(
            source=Concern.Source.OPEN311,
            category=category,
            description=description,
            village=village,
            lat=lat,
            lon=lon,
            address=address,
            reporter_name=name,
            reporter_phone=phone,
            reporter_email=email,
            attributes=attributes,
        )
    except ConcernError as exc:
        raise Open311Error(400, str(exc)) from exc
    answer = [{"service_request_id": concern.tracking_code, "service_notice": "", "account_id": ""}]
    return render(fmt, "service_requests", answer, status=201)


@csrf_exempt
@require_http_methods(["GET", "HEAD", "POST"])
@open311_view
def requests(request, fmt):
    """GET: the public requests matching the filters, newest first. POST: create one."""
    if request.method == "POST":
        return create_request(request, fmt)
    return render(fmt, "service_requests", [request_data(c) for c in filter_requests(request.GET)])


@csrf_exempt
def unknown(request):
    """Any other address under /open311/v2/: a 404 in the spec's format (XML for an .xml one)."""
    fmt = "xml" if request.path.endswith(".xml") else "json"
    return render_errors(fmt, 404, f"No Open311 endpoint at {request.path!r}: see discovery.json.")
