"""Differential fuzzer for trueopen's scanner (issue 13).

Mutates seeds of every format the scanner reads and, whenever the scanner says `clean`, loads
the input with the real loaders (pickle, stacked loads, the compressed openers, the .pkl members of a zip
as torch.load reads data.pkl, joblib) in a
forked, resource-limited child whose cwd is a scratch folder. A payload in every mutation
touches `canary` there: canary present + scanner clean = a silent miss. Crashes (exceptions
other than InputError) and slow scans are recorded too. Run it with `make fuzz`.
"""
