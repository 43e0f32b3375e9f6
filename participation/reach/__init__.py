"""Reach (issue 16, DESIGN §10): what the product says to people, and how it gets to them.

``kinds`` lists every message; ``outbox`` writes them in the event's transaction; the worker (``queue``) delivers
them after commit through the channels (SMS by 阿里云 or 腾讯云 or a file, 企业微信 group robots), under the rules of
``rules`` (quiet hours, daily cap, opt-out); the in-app copy is the notification itself.
"""
