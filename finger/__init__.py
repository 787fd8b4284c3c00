"""The finger tutorial's folder, importable as the package `finger`.

The numbered steps (finger01.py ... finger22.tac) are run by path and never
imported. This file exists for the organized finger of the tutorial's last
steps: finger/finger.py (the code) and finger/tap.py (its options and
makeService), which finger/finger.tac and twisted/plugins/finger_plugin.py
import as `finger.finger` and `finger.tap` from any directory, since the
editable install (make venv) puts the repository root on sys.path.
"""
