"""The HTTP API: HeyGen's Video Translation API v3, served by `polydub serve`."""
