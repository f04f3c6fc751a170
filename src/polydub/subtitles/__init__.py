"""SRT and WebVTT captions in and out."""
