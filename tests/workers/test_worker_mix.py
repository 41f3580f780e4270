"""A mix in a media worker behaves as one in the server process: the same tests, run against a worker."""

from __future__ import annotations

from tests.control.test_layout import (  # noqa: F401 - collected here, against the worker fixture
    test_a_dropped_tencent_window_is_frozen,
    test_a_dropped_zego_input_is_lost_with_its_error,
    test_zego_fit_and_fill,
)
from tests.e2e.test_late_inputs import (  # noqa: F401 - a resolution changing while the task runs
    test_a_zego_stream_url_joins_once_its_anchor_pushes,
)
from tests.providers.zego.test_auto_mix import test_an_rtmp_publisher_joins_the_room  # noqa: F401
from tests.providers.zego.test_start_mix import (  # noqa: F401
    test_same_task_id_updates_the_running_mix,
    test_start_mix_composes_rects_layers_and_background,
)
