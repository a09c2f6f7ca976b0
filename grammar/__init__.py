"""The grammar of the ``.pipe`` language (``pipe.lark``), shipped as package data."""
