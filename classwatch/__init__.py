"""classwatch: anonymous class-mood readings from a video-call gallery."""

import os

__version__ = "0.1.0"

# FFmpeg (inside OpenCV) prints its own complaints about unreadable videos
# straight to stderr; classwatch reports those itself in one line. Must be set
# before OpenCV opens its first video, hence here, before any submodule loads.
os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")
