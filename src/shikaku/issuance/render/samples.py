"""Synthetic envelopes for tests, the benchmark and the documentation images.

Invented people at real town names (the postal codes exist, so the customer barcode can be
derived); nothing here comes from member data.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from shikaku.domain.ids.customer_barcode import symbols
from shikaku.issuance.render.model import CertificateData, Envelope, SenderBlock

FAMILY = [
    ("佐藤", "サトウ"),
    ("鈴木", "スズキ"),
    ("髙橋", "タカハシ"),
    ("田中", "タナカ"),
    ("伊藤", "イトウ"),
    ("渡辺", "ワタナベ"),
    ("山本", "ヤマモト"),
    ("中村", "ナカムラ"),
    ("小林", "コバヤシ"),
    ("加藤", "カトウ"),
    ("吉田", "ヨシダ"),
    ("山﨑", "ヤマザキ"),
    ("齋藤", "サイトウ"),
    ("長谷川", "ハセガワ"),
    ("五十嵐", "イガラシ"),
    ("協会", "キョウカイ"),
]
GIVEN = [
    ("太郎", "タロウ", "男"),
    ("花子", "ハナコ", "女"),
    ("健太", "ケンタ", "男"),
    ("陽菜", "ヒナ", "女"),
    ("翔", "ショウ", "男"),
    ("美咲", "ミサキ", "女"),
    ("大輔", "ダイスケ", "男"),
    ("結衣", "ユイ", "女"),
    ("蓮", "レン", "男"),
    ("さくら", "サクラ", "女"),
    ("悠真", "ユウマ", "男"),
    ("恵子", "ケイコ", "女"),
]
ADDRESSES = [
    ("100-0013", "東京都千代田区霞が関", "1丁目3番2号", "郵便プラザ503室"),
    ("263-0023", "千葉県千葉市稲毛区緑町", "3丁目30-8", "郵便ビル403号"),
    ("910-0067", "福井県福井市新田塚", "3丁目80-25", "J1ビル2-B"),
    ("317-0055", "茨城県日立市宮田町", "6丁目7-14", "ABCビル2F"),
    ("690-0887", "島根県松江市殿町", "一丁目", ""),
    ("064-0804", "北海道札幌市中央区南四条西", "29丁目1524-23", "第2郵便ハウス501"),
]
SENDER = SenderBlock(
    org_name="全国健康保険協会",
    branch_name="東京支部",
    postal_code="164-8540",
    address_lines=("東京都中野区中野4丁目10番2号", "中野セントラルパークサウス7階"),
    phone="0570-000-000",
    phone_hours="平日 8:30〜17:15",
    department="資格確認書担当",
    website="https://www.example.jp/shikaku",
)


def sample_envelopes(
    count: int,
    *,
    seed: int = 7,
    max_members: int = 4,
    issue: date = date(2025, 8, 1),
    valid_to: date = date(2029, 12, 1),
) -> list[Envelope]:
    """``count`` envelopes with 1..``max_members`` certificates each (deterministic)."""
    rnd = random.Random(seed)
    out: list[Envelope] = []
    for i in range(count):
        fam, fam_kana = rnd.choice(FAMILY)
        postal, town, block, building = rnd.choice(ADDRESSES)
        k = rnd.randint(1, max_members)
        symbol = f"{rnd.randint(1000000, 99999999)}"
        number = f"{rnd.randint(1, 999)}"
        members = []
        for j, (given, given_kana, sex) in enumerate(rnd.sample(GIVEN, k)):
            born = date(1955, 1, 1) + timedelta(days=rnd.randint(0, 365 * 65))
            branch = f"{j:02d}"
            members.append(
                CertificateData(
                    name=f"{fam}　{given}",
                    name_kana=f"{fam_kana}　{given_kana}",
                    birth_date=born,
                    sex=sex,
                    symbol=symbol,
                    number=number,
                    branch_no=branch,
                    insurer_number="01130012",
                    insurer_name="全国健康保険協会 東京支部",
                    issue_date=issue,
                    valid_to=valid_to,
                    qr_payload=f"01130012|{symbol}|{number}|{branch}|{born:%Y%m%d}",
                )
            )
        address = town + block + (" " + building if building else "")
        try:
            bar = symbols(postal, address)
        except ValueError:
            bar = []
        lines = [town, block + (" " + building if building else "")]
        out.append(
            Envelope(
                piece_id=f"SK25-{i + 1:07d}",
                postal_code=postal,
                address_lines=lines,
                addressee_name=members[0].name,
                addressee_kana=members[0].name_kana,
                barcode_symbols=bar,
                members=members,
                sender=SENDER,
                flyer=True,
            )
        )
    return out
