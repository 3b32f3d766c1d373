"""The web app in a real browser, with the server and the emulator in extended mode
(the tests are in web_app.py; screenshots in <build>/screenshots/)."""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from web_app import WebAppCase  # noqa: E402


class WebAppExtended(WebAppCase, unittest.TestCase):
    MODE = "extended"


if __name__ == "__main__":
    unittest.main(verbosity=2)
