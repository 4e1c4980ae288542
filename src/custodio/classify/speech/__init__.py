"""Speech engines of classification: audio decoding, voice activity, speech-to-text, language.

Pure engines over audio (numpy samples at 8 kHz): no catalog, no jobs. ``audio`` reads a
direction's WAV, ``vad`` finds its speech, ``model`` finds and checks the Whisper model,
``asr`` transcribes and detects the spoken language, ``language`` tells a text's language.
"""
