"""Request parsing, WP-style argument validation, pagination headers and batch processing."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from functools import partial
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from sandbox.woo.errors import WooError, invalid_param
from sandbox.woo.models import ApiKey

if TYPE_CHECKING:
    from sandbox.woo.delivery import DeliveryWorker
    from sandbox.woo.store import Store

BATCH_LIMIT = 100
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}(:?\d{2})?)?$")


@dataclass
class Resp:
    body: Any
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Req:
    method: str
    path: str  # route path below /wp-json/wc/v3, e.g. /orders/12
    ids: dict[str, int]
    query_pairs: list[tuple[str, str]]
    body: Any
    key: ApiKey | None = None

    def query(self, name: str) -> Any:
        """PHP semantics: `a[]=x&a[]=y` is a list, a repeated plain `a` keeps the last value."""
        values = [v for k, v in self.query_pairs if k == f"{name}[]"]
        if values:
            return values
        plain = [v for k, v in self.query_pairs if k == name]
        return plain[-1] if plain else None

    def param(self, name: str, default: Any = None) -> Any:
        if isinstance(self.body, dict) and name in self.body:
            return self.body[name]
        value = self.query(name)
        return default if value is None else value

    def data(self) -> dict[str, Any]:
        return self.body if isinstance(self.body, dict) else {}


@dataclass
class ApiContext:
    store: Store
    delivery: DeliveryWorker
    batch_fail_ids: set[int] = field(default_factory=set)
    batch_fail_error: tuple[int, str, str] = (
        500,
        "woocommerce_rest_sandbox_item_failed",
        "Injected batch item failure.",
    )


Handler = Callable[[Req], "Resp | Any"]


def as_list(value: Any) -> list[str]:
    """wp_parse_list(): an array, or a comma/space separated string."""
    if value is None:
        return []
    if isinstance(value, list):
        return [str(v).strip() for v in value if str(v).strip()]
    return [p for p in re.split(r"[\s,]+", str(value)) if p]


def as_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    return str(value).lower() in ("1", "true", "yes", "on")


def int_param(req: Req, name: str, default: int, minimum: int | None = None, maximum: int | None = None) -> int:
    value = req.param(name)
    if value is None or value == "":
        return default
    try:
        number = int(str(value))
    except ValueError:
        raise invalid_param(name, f"{name} is not of type integer.", detail="rest_invalid_type") from None
    if minimum is not None and maximum is not None and not minimum <= number <= maximum:
        raise invalid_param(name, f"{name} must be between {minimum} (inclusive) and {maximum} (inclusive)")
    if minimum is not None and number < minimum:
        raise invalid_param(name, f"{name} must be greater than or equal to {minimum}")
    return number


def enum_param(req: Req, name: str, allowed: Sequence[str], default: str) -> str:
    value = req.param(name)
    if value is None or value == "":
        return default
    if str(value) not in allowed:
        raise invalid_param(name, f"{name} is not one of {', '.join(allowed)}.", detail="rest_not_in_enum")
    return str(value)


def id_list(req: Req, name: str) -> list[int]:
    out = []
    for v in as_list(req.param(name)):
        try:
            out.append(int(v))
        except ValueError:
            raise invalid_param(name, f"{name}[0] is not of type integer.", detail="rest_invalid_type") from None
    return out


def date_param(req: Req, name: str, site: timezone) -> datetime | None:
    """A site-local naive datetime: values with Z/offset are converted to the site timezone (WP_Date_Query)."""
    value = req.param(name)
    if value is None or value == "":
        return None
    text = str(value)
    if not DATE_RE.match(text):
        raise invalid_param(name, "Invalid date.", detail="rest_invalid_date")
    text = text.replace("t", "T").replace(" ", "T").replace("Z", "+00:00")
    if re.search(r"[+-]\d{2}$", text):
        text += ":00"
    elif re.search(r"[+-]\d{4}$", text):
        text = text[:-2] + ":" + text[-2:]
    moment = datetime.fromisoformat(text).replace(microsecond=0)
    if moment.tzinfo is not None:
        moment = moment.astimezone(site).replace(tzinfo=None)
    return moment


def column(moment: datetime | None, site: timezone, gmt: bool) -> datetime | None:
    """The naive value of the post_date (site-local) or post_date_gmt column."""
    if moment is None:
        return None
    if gmt:
        return moment.astimezone(timezone(timedelta(0))).replace(tzinfo=None)
    return moment.astimezone(site).replace(tzinfo=None)


def date_filter(req: Req, site: timezone) -> Callable[[datetime | None, datetime | None], bool]:
    """after/before on the created column, modified_after/modified_before on the modified one; exclusive."""
    gmt = as_bool(req.param("dates_are_gmt", False))
    bounds = {n: date_param(req, n, site) for n in ("after", "before", "modified_after", "modified_before")}

    def keep(created: datetime | None, modified: datetime | None) -> bool:
        c, m = column(created, site, gmt), column(modified, site, gmt)
        checks = (
            (bounds["after"], c, 1),
            (bounds["before"], c, -1),
            (bounds["modified_after"], m, 1),
            (bounds["modified_before"], m, -1),
        )
        for bound, value, sign in checks:
            if bound is None:
                continue
            if value is None or (value <= bound if sign > 0 else value >= bound):
                return False
        return True

    return keep


def paginate(
    req: Req, items: list[Any], api_base: str, collection: str, render: Callable[[Any], dict[str, Any]]
) -> Resp:
    per_page = int_param(req, "per_page", 10, 1, 100)
    page = int_param(req, "page", 1, 1)
    offset = req.param("offset")
    total = len(items)
    start = int(offset) if offset not in (None, "") else (page - 1) * per_page
    chunk = items[start : start + per_page]
    max_pages = math.ceil(total / per_page) if total else 0
    if offset not in (None, ""):
        max_pages = math.ceil((total - int(offset)) / per_page) if total > int(offset) else 0
    headers = {"X-WP-Total": str(total), "X-WP-TotalPages": str(max_pages)}
    base_pairs = [(k, v) for k, v in req.query_pairs if k != "page"]
    links = []
    if page > 1:
        prev_page = min(page - 1, max_pages) if max_pages else page - 1
        links.append(f'<{_with_page(api_base + collection, base_pairs, prev_page)}>; rel="prev"')
    if max_pages > page:
        links.append(f'<{_with_page(api_base + collection, base_pairs, page + 1)}>; rel="next"')
    if links:
        headers["Link"] = ", ".join(links)
    return Resp([render(i) for i in chunk], 200, headers)


def _with_page(url: str, pairs: list[tuple[str, str]], page: int) -> str:
    return url + "?" + urlencode([*pairs, ("page", str(page))])


def sort_items(items: list[Any], req: Req, keys: dict[str, Callable[[Any], Any]], default: str = "date") -> list[Any]:
    orderby = enum_param(req, "orderby", (*tuple(keys), "include"), default)
    order = enum_param(req, "order", ("asc", "desc"), "desc")
    if orderby == "include":
        include = id_list(req, "include")
        rank = {v: i for i, v in enumerate(include)}
        return sorted(items, key=lambda o: rank.get(o.id, len(rank)))
    return sorted(items, key=keys[orderby], reverse=order == "desc")


def batch(
    req: Req,
    ctx: ApiContext,
    create: Callable[[dict[str, Any]], Any],
    update: Callable[[dict[str, Any]], Any],
    delete: Callable[[int], Any],
) -> Resp:
    """WC_REST_Controller::batch_items: ≤100 items, sequential, per-item errors inside an HTTP 200."""
    data = req.data()
    groups = {k: data[k] for k in ("create", "update", "delete") if isinstance(data.get(k), list)}
    if sum(len(v) for v in groups.values()) > BATCH_LIMIT:
        raise WooError(
            413,
            "woocommerce_rest_request_entity_too_large",
            f"Unable to accept more than {BATCH_LIMIT} items for this request.",
        )
    out: dict[str, list[Any]] = {}

    def run(kind: str, item_id: Any, fn: Callable[[], Any]) -> None:
        try:
            if isinstance(item_id, int) and item_id in ctx.batch_fail_ids:
                status, code, message = ctx.batch_fail_error
                raise WooError(status, code, message)
            out[kind].append(fn())
        except WooError as err:
            out[kind].append(
                {
                    "id": item_id,
                    "error": err.body(),
                }
            )

    if "create" in groups:
        out["create"] = []
        for item in groups["create"]:
            run("create", 0, partial(create, item if isinstance(item, dict) else {}))
    if "update" in groups:
        out["update"] = []
        for item in groups["update"]:
            data = item if isinstance(item, dict) else {}
            run("update", _maybe_int(data.get("id")), partial(update, data))
    if "delete" in groups:
        out["delete"] = []
        for raw_id in groups["delete"]:
            item_id = _maybe_int(raw_id)
            if not item_id:
                continue
            run("delete", item_id, partial(delete, item_id))
    return Resp(out)


def _maybe_int(value: Any) -> Any:
    try:
        return int(value)
    except (TypeError, ValueError):
        return value
