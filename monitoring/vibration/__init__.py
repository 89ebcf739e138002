"""Vibration analysis of one acceleration record: pure numpy, no Django, no HTTP.

Ingestion computes the stored indicators with it, the API and the admin draw spectra and
fault-frequency markers with it, and the vendor simulator synthesises physically consistent
waveforms with it, so it sits below both apps and imports nothing but numpy and the standard
library (tests/test_architecture.py holds it to that). Modules by topic:

- ``checks``: the input checks every analysis shares (finite, 1-D, not flat, positive rate);
- ``indicators``: acceleration and velocity indicators, leak-free integration to velocity;
- ``spectrum``: the Hann amplitude spectrum, its peaks with running-speed orders, and the
  velocity spectrum;
- ``envelope``: envelope (demodulation) analysis and bearing-defect match scores;
- ``kinematics``: bearing fault frequencies (BPFO, BPFI, BSF, FTF);
- ``markers``: the frequency markers drawn on a spectrum (1x and fault frequencies);
- ``zones``: ISO 20816-3 (formerly 10816-3) zones of a velocity RMS, and its band by speed;
- ``measurement``: everything stored for one reading, in one pass.

Units: acceleration g, velocity mm/s, frequency Hz; spectrum amplitudes 0-peak g.
"""
