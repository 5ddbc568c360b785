"""One Streamlit session over its websocket, spoken as the browser app speaks it, drawing nothing.

The client sends what the browser sends — a ``BackMsg`` asking for a script run, with the page,
the URL query and any changed widget value — and reads what comes back: the page's elements as
``ForwardMsg`` deltas, then ``script_finished``. Timing those messages measures the server's
side of a click; nothing is rendered, so the machine's cores stay with the server.

Example (inside a coroutine, against a running ``streamlit run app.py``)::

    async with connect(app.ws_url) as session:
        await session.open("calibration")                  # as a click in the sidebar
        await session.set("calibration.view", "Temperature slider")
        times = await session.set("calibration.temperature", 2.0)
        times.last_chart_s                                 # seconds to the redrawn chart

A fragment with ``run_every`` (``@st.fragment``) is rerun by the browser on a timer; here the
caller decides when: the fragments the last full run scheduled are in ``session.fragments``
(id → seconds between reruns; a full run, even one a fragment started with ``st.rerun()``,
schedules them anew), and :meth:`Session.rerun_fragment` reruns one. The plotly
charts, the alert texts and the progress bars' texts of the latest run are kept
(``session.chart_specs``, ``session.alerts``, ``session.progress``), for a test that reads
what a page shows::

    await session.set("regression.quiz.mse.answer", "The NLL model's")   # a radio button
    (fragment_id,) = session.fragments
    await session.rerun_fragment(fragment_id)                             # as its timer does

Through a proxy (``python -m labserve``'s nginx), a session can carry cookies between its
connections (the sticky ``lab_sticky`` cookie), send other headers (``Origin``), connect to one
address while naming another host, and reconnect after its server went away::

    jar = CookieJar()
    async with connect(cluster.ws_url, cookies=jar) as session:
        await session.open("regression", "seed=3")
        ...                                                # its replica dies
        await session.reconnect()                          # the same page and URL query again
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import dataclasses
import math
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Iterable
from contextlib import asynccontextmanager, suppress
from http.cookies import CookieError, SimpleCookie
from typing import Any, TypeVar

T = TypeVar("T")

# Widget element types this client can change, and the WidgetState field each one uses.
WIDGET_VALUE_FIELDS = {
    "slider": "double_array_value",
    "number_input": "double_value",
    "selectbox": "string_value",
    "button_group": "string_array_value",  # st.segmented_control and st.pills
    "checkbox": "bool_value",  # st.checkbox and st.toggle
    "button": "trigger_value",
    "radio": "string_value",  # the option's displayed text
}
RUN_TIMEOUT_S = 300.0


class ProtocolError(RuntimeError):
    """The server closed the session, or a run or a widget was not what the client expected."""


@dataclasses.dataclass(frozen=True)
class RunTimes:
    """What one script run sent back, timed from the request that started it.

    Attributes:
        first_chart_s: seconds to the run's first plotly chart (``inf`` when it drew none).
        last_chart_s: seconds to its last plotly chart (``inf`` when it drew none).
        finished_s: seconds to ``script_finished``: the page is complete.
        charts: how many plotly charts the run sent.
        error: the first exception or ``st.error`` text of the run ("" when there was none).
    """

    first_chart_s: float
    last_chart_s: float
    finished_s: float
    charts: int
    error: str


@dataclasses.dataclass(frozen=True)
class Widget:
    """A widget the server drew: its id (what a change is sent under), type and options."""

    id: str
    kind: str
    options: tuple[str, ...] = ()


def widget_key(widget_id: str) -> str:
    """The user key in a widget id (``"$$ID-<hash>-regression.n_points"`` → the key)."""
    return widget_id.split("-", 2)[-1]


class CookieJar:
    """The cookies one browser keeps for one site, by name; sent with every connection.

    Example:
        >>> jar = CookieJar()
        >>> jar.update(["lab_sticky=fwAAAQ==; expires=Thu, 03-Dec-26 03:00:43 GMT; path=/"])
        >>> jar.header()
        'lab_sticky=fwAAAQ=='
    """

    def __init__(self) -> None:
        self.values: dict[str, str] = {}

    def update(self, set_cookie_headers: Iterable[str]) -> None:
        """Keep the name and value of every ``Set-Cookie`` header (attributes are ignored)."""
        for header in set_cookie_headers:
            parsed: SimpleCookie = SimpleCookie()
            with suppress(CookieError):
                parsed.load(header)
            for name, morsel in parsed.items():
                self.values[name] = morsel.value

    def header(self) -> str:
        """The ``Cookie`` request header ("" when the jar is empty)."""
        return "; ".join(f"{name}={value}" for name, value in self.values.items())

    def get(self, name: str) -> str | None:
        return self.values.get(name)


class Session:
    """A Streamlit session driven through its websocket; see the module docstring.

    Args:
        ws: the open websocket.
        timeout_s: how long one script run may take.
        reopen: opens a new websocket to the same place (see :meth:`reconnect`).
    """

    def __init__(self, ws: Any, timeout_s: float = RUN_TIMEOUT_S,
                 reopen: Callable[[], Awaitable[Any]] | None = None) -> None:
        self._ws = ws
        self._reopen = reopen
        self.timeout_s = timeout_s
        self.widgets: dict[str, Widget] = {}  # by user key, from the runs of the current page
        self.page_script_hash = ""
        self.session_id = ""  # the server's id of this session (uploads are sent under it)
        self.page_name = ""
        self.query_string = ""
        self.fragments: dict[str, float] = {}  # run_every fragments: id → seconds between runs
        self.chart_specs: list[str] = []  # the plotly charts of the latest run (JSON specs)
        self.alerts: list[str] = []  # the text of every alert (st.info, st.success …) of it
        self.progress: list[str] = []  # every progress bar text it sent, in order

    async def open(self, page: str = "", query: str = "") -> RunTimes:
        """Go to ``page`` (its URL path name; "" is the default page) with ``query``."""
        from streamlit.proto.BackMsg_pb2 import BackMsg

        message = BackMsg()
        message.rerun_script.page_name = page
        message.rerun_script.query_string = query
        self.widgets = {}
        self.page_name = page
        self.query_string = query  # a navigation replaces the URL's query, as in the browser
        return await self._run(message)

    async def reconnect(self) -> RunTimes:
        """Open a new websocket and show the same page with the same URL query again.

        What the browser does when its server went away: it connects again (through a proxy,
        possibly to another replica, which starts a new session) and runs the page from its
        address bar — the page and the query the server last wrote. Widget values not in the
        URL return to their defaults, as in a reloaded tab.

        Raises:
            ProtocolError: the session was not made by :func:`connect` (nothing to reopen).
        """
        if self._reopen is None:
            raise ProtocolError("Only a session made by connect() can reconnect.")
        await self.close()
        self._ws = await self._reopen()
        return await self.open(self.page_name, self.query_string)

    async def close(self) -> None:
        """Close the websocket (a closed or broken one is fine)."""
        with suppress(Exception):
            await self._ws.close()

    async def set(self, key: str, value: Any) -> RunTimes:
        """Change the widget with user key ``key`` to ``value``, as a user's input does.

        Args:
            key: the widget's ``key=``.
            value: a number or a (low, high) pair for a slider, a number for a number input,
                the option's displayed text for a select box or a segmented control, a bool
                for a checkbox or toggle; ignored for a button (it is clicked).
        """
        widget = self.widgets.get(key)
        if widget is None:
            raise ProtocolError(
                f"key must be a widget on this page ({sorted(self.widgets)}). Got {key!r}.")
        message = self._rerun_message()
        state = message.rerun_script.widget_states.widgets.add()
        state.id = widget.id
        field = WIDGET_VALUE_FIELDS[widget.kind]
        if widget.options and value not in widget.options:
            raise ProtocolError(f"{key} must be one of {list(widget.options)}. Got {value!r}.")
        if field == "double_array_value":
            state.double_array_value.data.extend(
                value if isinstance(value, tuple | list) else [value])
        elif field == "string_array_value":
            state.string_array_value.data.append(value)
        elif field == "trigger_value":
            state.trigger_value = True
        else:
            setattr(state, field, value)
        return await self._run(message)

    async def rerun_fragment(self, fragment_id: str) -> RunTimes:
        """Rerun one fragment of the page being shown, as the browser's timer for a
        ``run_every`` fragment does (see :attr:`fragments`); only its elements come back."""
        message = self._rerun_message()
        message.rerun_script.fragment_id = fragment_id
        message.rerun_script.is_auto_rerun = True
        return await self._run(message)

    def _rerun_message(self) -> Any:
        """A rerun of the page being shown, with the URL query the server last wrote."""
        from streamlit.proto.BackMsg_pb2 import BackMsg

        message = BackMsg()
        message.rerun_script.page_script_hash = self.page_script_hash
        message.rerun_script.query_string = self.query_string
        return message

    async def _run(self, message: Any) -> RunTimes:
        try:
            async with asyncio.timeout(self.timeout_s):
                return await self._send_and_read(message)
        except TimeoutError:
            raise ProtocolError(f"The run did not finish within {self.timeout_s:g} s.") from None

    async def _send_and_read(self, message: Any) -> RunTimes:
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        start = time.perf_counter()
        await self._ws.send(message.SerializeToString())
        first = last = math.inf
        charts, error = 0, ""
        self.chart_specs, self.alerts, self.progress = [], [], []
        async for raw in self._ws:
            reply = ForwardMsg()
            reply.ParseFromString(raw)
            kind = reply.WhichOneof("type")
            if kind == "navigation":  # st.navigation names the page it is running
                self.page_script_hash = reply.navigation.page_script_hash
            elif kind == "new_session":  # a run starts
                self.session_id = reply.new_session.initialize.session_id or self.session_id
                if not reply.metadata.run.fragment_ids:  # a full one (even one a fragment
                    self.fragments = {}  # asked for): it schedules the fragments anew
            elif kind == "page_info_changed":
                self.query_string = reply.page_info_changed.query_string
            elif kind == "auto_rerun":
                self.fragments[reply.auto_rerun.fragment_id] = reply.auto_rerun.interval
            elif kind == "stop_auto_rerun":
                for fragment_id in reply.stop_auto_rerun.fragment_ids:
                    self.fragments.pop(fragment_id, None)
            elif kind == "delta" and reply.delta.WhichOneof("type") == "new_element":
                element = reply.delta.new_element
                element_type = element.WhichOneof("type")
                if element_type == "plotly_chart":
                    last = time.perf_counter() - start
                    first = min(first, last)
                    charts += 1
                    self.chart_specs.append(element.plotly_chart.spec)
                else:
                    if element_type == "alert":
                        self.alerts.append(element.alert.body)
                    elif element_type == "progress":
                        self.progress.append(element.progress.text)
                    error = error or _error_text(element, element_type)
                    self._remember_widget(element, element_type)
            elif kind == "script_finished":
                if reply.script_finished == ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                    first = last = math.inf  # the page restarts; its new run is what counts
                    charts, error = 0, ""
                    self.chart_specs, self.alerts, self.progress = [], [], []
                    continue
                return RunTimes(first, last, time.perf_counter() - start, charts, error)
        raise ProtocolError("The server closed the connection before the run finished.")

    def _remember_widget(self, element: Any, element_type: str) -> None:
        if element_type not in WIDGET_VALUE_FIELDS:
            return
        proto = getattr(element, element_type)
        if element_type in ("selectbox", "radio"):
            options = tuple(proto.options)
        elif element_type == "button_group":
            options = tuple(option.content for option in proto.options)
        else:
            options = ()
        self.widgets[widget_key(proto.id)] = Widget(proto.id, element_type, options)


def _error_text(element: Any, element_type: str) -> str:
    """The text of an exception or an ``st.error`` box; "" for any other element."""
    from streamlit.proto.Alert_pb2 import Alert

    if element_type == "exception":
        return f"{element.exception.type}: {element.exception.message}"
    if element_type == "alert" and element.alert.format == Alert.ERROR:
        return element.alert.body
    return ""


@asynccontextmanager
async def connect(ws_url: str, timeout_s: float = RUN_TIMEOUT_S, *,
                  headers: dict[str, str] | None = None, cookies: CookieJar | None = None,
                  address: tuple[str, int] | None = None) -> AsyncIterator[Session]:
    """A new session on the server at ``ws_url`` (see ``RunningApp.ws_url``).

    Args:
        ws_url: ``ws://host:port/_stcore/stream``; its host and port are the ``Host`` header.
        timeout_s: how long one script run may take.
        headers: more handshake headers, e.g. ``{"Origin": "http://classroom.example"}``.
        cookies: sent with the handshake, and kept from its response (``Set-Cookie``), for
            this connection and every :meth:`Session.reconnect`; as a browser's cookies.
        address: connect to this (host, port) instead of the URL's, keeping the URL's
            ``Host`` header (as ``curl --resolve``): a name the machine cannot resolve.
    """
    import websockets

    async def open_websocket() -> Any:
        extra = dict(headers or {})
        if cookies is not None and cookies.header():
            extra["Cookie"] = cookies.header()
        target = {"host": address[0], "port": address[1]} if address else {}
        ws = await websockets.connect(ws_url, subprotocols=["streamlit"], max_size=None,
                                      additional_headers=extra or None, **target)
        if cookies is not None and ws.response is not None:
            cookies.update(ws.response.headers.get_all("Set-Cookie"))
        return ws

    session = Session(await open_websocket(), timeout_s, reopen=open_websocket)
    try:
        yield session
    finally:
        await session.close()


def run_sync(coroutine: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run(coroutine)`` in a thread of its own, and its result.

    Playwright's sync API (the e2e tests' browser) may already run an event loop in the calling
    thread, and ``asyncio.run`` refuses to nest.
    """
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()
